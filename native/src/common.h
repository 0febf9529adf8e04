// Shared helpers for the diagkit addon. Every function that can fail returns
// -errno to JavaScript; the TypeScript wrapper turns that into a Node-style Error.
#pragma once
#include <napi.h>
#include <uv.h>

namespace diagkit {

inline Napi::Value Errno(Napi::Env env, int err) { return Napi::Number::New(env, -err); }

// uv loop of the current environment (napi_get_uv_event_loop).
uv_loop_t* LoopOf(Napi::Env env);

Napi::Object InitFdOps(Napi::Env env, Napi::Object exports);
Napi::Object InitReceiver(Napi::Env env, Napi::Object exports);
Napi::Object InitPoller(Napi::Env env, Napi::Object exports);

}  // namespace diagkit
