// Poller: reports readiness of any pollable fd (for /dev/kmsg) on the Node
// loop. It never reads: TypeScript does the non-blocking read when told.
#include <errno.h>

#include <memory>

#include "common.h"

namespace diagkit {

namespace {

class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Poller",
                       {InstanceMethod("start", &Poller::Start), InstanceMethod("stop", &Poller::Stop),
                        InstanceMethod("close", &Poller::Close)});
  }

  // new Poller(fd, callback(status, readable, writable))
  explicit Poller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poller>(info) {
    fd_ = info[0].As<Napi::Number>().Int32Value();
    cb_ = Napi::Persistent(info[1].As<Napi::Function>());
    ctx_ = std::make_unique<Napi::AsyncContext>(info.Env(), "diagkit:Poller");
  }

  ~Poller() override { CloseHandle(); }

 private:
  // start(readable, writable, disconnect): 0 or -errno. With disconnect only,
  // the callback fires just for errors and hang-ups (a pipe whose reader left).
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) return Errno(env, EBADF);
    int events = 0;
    if (info[0].ToBoolean().Value()) events |= UV_READABLE;
    if (info.Length() > 1 && info[1].ToBoolean().Value()) events |= UV_WRITABLE;
    if (info.Length() > 2 && info[2].ToBoolean().Value()) events |= UV_DISCONNECT;
    if (!poll_) {
      poll_ = new uv_poll_t;
      int r = uv_poll_init(LoopOf(env), poll_, fd_);
      if (r < 0) {
        delete poll_;
        poll_ = nullptr;
        return Napi::Number::New(env, r);
      }
      poll_->data = this;
      Ref();
    }
    return Napi::Number::New(env, uv_poll_start(poll_, events, OnPoll));
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (poll_) uv_poll_stop(poll_);
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!closed_) {
      closed_ = true;
      bool hadHandle = poll_ != nullptr;
      CloseHandle();
      if (hadHandle) Unref();
    }
    return info.Env().Undefined();
  }

  void CloseHandle() {
    if (!poll_) return;
    uv_poll_stop(poll_);
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<Poller*>(handle->data);
    if (!self) return;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    self->cb_.MakeCallback(self->Value(),
                           {Napi::Number::New(env, status), Napi::Boolean::New(env, (events & UV_READABLE) != 0),
                            Napi::Boolean::New(env, (events & UV_WRITABLE) != 0)},
                           *self->ctx_);
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
    }
  }

  int fd_ = -1;
  bool closed_ = false;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference cb_;
  std::unique_ptr<Napi::AsyncContext> ctx_;
};

}  // namespace

Napi::Object InitPoller(Napi::Env env, Napi::Object exports) {
  exports.Set("Poller", Poller::Define(env));
  return exports;
}

}  // namespace diagkit
