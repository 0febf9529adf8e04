// Shared helpers for the diagkit addon. Every function that can fail returns
// -errno to JavaScript; the TypeScript wrapper turns that into a Node-style Error.
#pragma once
#include <napi.h>
#include <uv.h>

namespace diagkit {

inline Napi::Value Errno(Napi::Env env, int err) { return Napi::Number::New(env, -err); }

// uv loop of the current environment (napi_get_uv_event_loop).
uv_loop_t* LoopOf(Napi::Env env);

// A uv_poll_t on an fd owned elsewhere. The handle is freed in libuv's close
// callback, so it may outlive its owner by one loop turn; the fd may be closed
// as soon as Close() returns (the poll no longer refers to it).
class FdWatch {
 public:
  ~FdWatch() { Close(); }
  // Creates the handle on first use: 1 when created now, 0 when it existed, -errno on failure.
  int Ensure(uv_loop_t* loop, int fd, void* data);
  int Start(int events, uv_poll_cb cb) { return uv_poll_start(poll_, events, cb); }
  void Stop() {
    if (poll_) uv_poll_stop(poll_);
  }
  // Stops and releases the handle; returns whether there was one.
  bool Close();

 private:
  uv_poll_t* poll_ = nullptr;
};

// Calls a JS callback from a libuv callback (with async context, so microtasks
// and nextTicks run after it); an exception thrown by it is a fatal exception
// (process 'uncaughtException'), as for any other event callback.
void CallJs(Napi::Env env, Napi::FunctionReference& cb, Napi::Object recv, std::initializer_list<napi_value> args,
            Napi::AsyncContext& ctx);

Napi::Object InitFdOps(Napi::Env env, Napi::Object exports);
Napi::Object InitReceiver(Napi::Env env, Napi::Object exports);
Napi::Object InitPoller(Napi::Env env, Napi::Object exports);
Napi::Object InitKmsgDrain(Napi::Env env, Napi::Object exports);
Napi::Object InitKmsgReadAhead(Napi::Env env, Napi::Object exports);

}  // namespace diagkit
