#include "common.h"

namespace diagkit {

uv_loop_t* LoopOf(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  return loop;
}

}  // namespace diagkit

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  diagkit::InitFdOps(env, exports);
  diagkit::InitReceiver(env, exports);
  diagkit::InitPoller(env, exports);
  return exports;
}

NODE_API_MODULE(diagkit, Init)
