// DgramReceiver: watches an AF_UNIX datagram socket on the Node loop and hands
// each datagram (name bytes, received fds, truncation flags) to JavaScript.
//
// Headroom: before every recvmsg it makes sure `maxFds` spare fds (dups of
// the socket) can be had, and closes them just before receiving, so the kernel
// always has room to install the fds of one datagram. Without that, a process at its fd limit
// would have the kernel drop a datagram's fds silently. When the spares cannot
// be re-created the receiver pauses and reports "fd-limit"; JS resumes later.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "common.h"

namespace diagkit {

namespace {

constexpr size_t kNameBuffer = 4096;   // a longer datagram is MSG_TRUNC
constexpr int kMaxBatch = 128;         // datagrams per wake-up, then yield to the loop
constexpr int kDatagram = 0, kError = 1, kFdLimit = 2;

class DgramReceiver : public Napi::ObjectWrap<DgramReceiver> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DgramReceiver",
                       {InstanceMethod("start", &DgramReceiver::Start),
                        InstanceMethod("stop", &DgramReceiver::Stop),
                        InstanceMethod("close", &DgramReceiver::Close)});
  }

  // new DgramReceiver(fd, maxFds, callback(kind, a, b, c, d))
  explicit DgramReceiver(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DgramReceiver>(info) {
    fd_ = info[0].As<Napi::Number>().Int32Value();
    maxFds_ = info[1].As<Napi::Number>().Int32Value();
    if (maxFds_ < 1) maxFds_ = 1;
    cb_ = Napi::Persistent(info[2].As<Napi::Function>());
    ctx_ = std::make_unique<Napi::AsyncContext>(info.Env(), "diagkit:DgramReceiver");
    name_.resize(kNameBuffer);
    control_.resize(CMSG_SPACE(sizeof(int) * maxFds_));
  }

  ~DgramReceiver() override { ReleaseReserve(); }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) return Errno(env, EBADF);
    int made = watch_.Ensure(LoopOf(env), fd_, this);
    if (made < 0) return Napi::Number::New(env, made);
    if (made == 1) Ref();  // keep the object alive while the loop may call it
    return Napi::Number::New(env, watch_.Start(UV_READABLE, OnPoll));
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    watch_.Stop();
    return info.Env().Undefined();
  }

  // Stops watching and releases the spare fds. The socket fd stays open: its
  // owner closes it after this returns (the poll no longer refers to it).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!closed_) {
      closed_ = true;
      bool hadHandle = watch_.Close();
      ReleaseReserve();
      if (hadHandle) Unref();
    }
    return info.Env().Undefined();
  }

  bool FillReserve() {
    while (static_cast<int>(reserve_.size()) < maxFds_) {
      int d = fcntl(fd_, F_DUPFD_CLOEXEC, 0);
      if (d < 0) return false;
      reserve_.push_back(d);
    }
    return true;
  }

  void ReleaseReserve() {
    for (int d : reserve_) close(d);
    reserve_.clear();
  }

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<DgramReceiver*>(handle->data);
    if (self) self->Drain(status);
  }

  void Drain(int status) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (status < 0) {
      watch_.Stop();
      Emit({Napi::Number::New(env, kError), Napi::Number::New(env, status)});
      return;
    }
    for (int i = 0; i < kMaxBatch && !closed_; i++) {
      if (!FillReserve()) {
        int err = errno;
        watch_.Stop();
        Emit({Napi::Number::New(env, kFdLimit), Napi::Number::New(env, -err)});
        return;
      }
      ReleaseReserve();
      iovec iov{name_.data(), name_.size()};
      msghdr msg;
      memset(&msg, 0, sizeof(msg));
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control_.data();
      msg.msg_controllen = control_.size();
      ssize_t n;
      while ((n = recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT)) < 0 && errno == EINTR) {
      }
      int err = errno;
      FillReserve();  // a shortfall is noticed before the next receive
      if (n < 0) {
        // Idle: give the spares back so the rest of the process (query
        // clients, files) can use them; they are re-made before each receive.
        if (err == EAGAIN || err == EWOULDBLOCK) {
          ReleaseReserve();
          return;
        }
        Emit({Napi::Number::New(env, kError), Napi::Number::New(env, -err)});
        return;
      }
      Napi::Array fds = Napi::Array::New(env);
      uint32_t count = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const unsigned char* data = CMSG_DATA(c);
        for (size_t j = 0; j < k; j++) {
          int fd;
          memcpy(&fd, data + j * sizeof(int), sizeof(int));
          fds.Set(count++, Napi::Number::New(env, fd));
        }
      }
      size_t len = static_cast<size_t>(n) < name_.size() ? static_cast<size_t>(n) : name_.size();
      Emit({Napi::Number::New(env, kDatagram), Napi::Buffer<char>::Copy(env, name_.data(), len), fds,
            Napi::Boolean::New(env, (msg.msg_flags & MSG_TRUNC) != 0),
            Napi::Boolean::New(env, (msg.msg_flags & MSG_CTRUNC) != 0)});
    }
  }

  void Emit(std::initializer_list<napi_value> args) { CallJs(Env(), cb_, Value(), args, *ctx_); }

  int fd_ = -1;
  int maxFds_ = 1;
  bool closed_ = false;
  FdWatch watch_;
  std::vector<int> reserve_;
  std::vector<char> name_;
  std::vector<char> control_;
  Napi::FunctionReference cb_;
  std::unique_ptr<Napi::AsyncContext> ctx_;
};

}  // namespace

Napi::Object InitReceiver(Napi::Env env, Napi::Object exports) {
  exports.Set("DgramReceiver", DgramReceiver::Define(env));
  return exports;
}

}  // namespace diagkit
