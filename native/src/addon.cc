#include "common.h"

namespace diagkit {

uv_loop_t* LoopOf(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  return loop;
}

int FdWatch::Ensure(uv_loop_t* loop, int fd, void* data) {
  if (poll_) return 0;
  poll_ = new uv_poll_t;
  int r = uv_poll_init(loop, poll_, fd);
  if (r < 0) {
    delete poll_;
    poll_ = nullptr;
    return r;
  }
  poll_->data = data;
  return 1;
}

bool FdWatch::Close() {
  if (!poll_) return false;
  uv_poll_stop(poll_);
  poll_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  poll_ = nullptr;
  return true;
}

void CallJs(Napi::Env env, Napi::FunctionReference& cb, Napi::Object recv, std::initializer_list<napi_value> args,
            Napi::AsyncContext& ctx) {
  cb.MakeCallback(recv, args, ctx);
  if (env.IsExceptionPending()) {
    Napi::Error e = env.GetAndClearPendingException();
    napi_fatal_exception(env, e.Value());
  }
}

}  // namespace diagkit

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  diagkit::InitFdOps(env, exports);
  diagkit::InitReceiver(env, exports);
  diagkit::InitPoller(env, exports);
  diagkit::InitKmsgDrain(env, exports);
  diagkit::InitKmsgReadAhead(env, exports);
  return exports;
}

NODE_API_MODULE(diagkit, Init)
