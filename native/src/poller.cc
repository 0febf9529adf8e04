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
    int made = watch_.Ensure(LoopOf(env), fd_, this);
    if (made < 0) return Napi::Number::New(env, made);
    if (made == 1) Ref();  // keep the object alive while the loop may call it
    return Napi::Number::New(env, watch_.Start(events, OnPoll));
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    watch_.Stop();
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!closed_) {
      closed_ = true;
      if (watch_.Close()) Unref();
    }
    return info.Env().Undefined();
  }

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<Poller*>(handle->data);
    if (!self) return;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    CallJs(env, self->cb_, self->Value(),
           {Napi::Number::New(env, status), Napi::Boolean::New(env, (events & UV_READABLE) != 0),
            Napi::Boolean::New(env, (events & UV_WRITABLE) != 0)},
           *self->ctx_);
  }

  int fd_ = -1;
  bool closed_ = false;
  FdWatch watch_;
  Napi::FunctionReference cb_;
  std::unique_ptr<Napi::AsyncContext> ctx_;
};

}  // namespace

Napi::Object InitPoller(Napi::Env env, Napi::Object exports) {
  exports.Set("Poller", Poller::Define(env));
  return exports;
}

}  // namespace diagkit
