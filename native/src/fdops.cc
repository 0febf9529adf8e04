// Plain fd operations Node has no API for: AF_UNIX datagram sockets, sending
// fds with SCM_RIGHTS, socketpair, peer credentials, fd type, lseek, and
// nanosecond clocks.
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common.h"

namespace diagkit {

static int MakeAddr(const std::string& path, sockaddr_un* addr, socklen_t* len) {
  if (path.empty() || path.size() >= sizeof(addr->sun_path)) return -ENAMETOOLONG;
  memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  memcpy(addr->sun_path, path.data(), path.size());
  *len = offsetof(sockaddr_un, sun_path) + path.size() + 1;
  return 0;
}

static int TypeOf(const std::string& name) {
  if (name == "dgram") return SOCK_DGRAM;
  if (name == "stream") return SOCK_STREAM;
  return -1;
}

// socket(type: 'dgram'|'stream'): fd, non-blocking and close-on-exec.
static Napi::Value Socket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int type = TypeOf(info[0].As<Napi::String>().Utf8Value());
  if (type < 0) return Errno(env, EINVAL);
  int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Errno(env, errno);
  return Napi::Number::New(env, fd);
}

// bind(fd, path): 0 or -errno.
static Napi::Value Bind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  sockaddr_un addr;
  socklen_t len;
  int r = MakeAddr(info[1].As<Napi::String>().Utf8Value(), &addr, &len);
  if (r < 0) return Napi::Number::New(env, r);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) < 0) return Errno(env, errno);
  return Napi::Number::New(env, 0);
}

// listen(fd, backlog): 0 or -errno.
static Napi::Value Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int backlog = info[1].As<Napi::Number>().Int32Value();
  if (listen(fd, backlog) < 0) return Errno(env, errno);
  return Napi::Number::New(env, 0);
}

// connect(fd, path): 0 or -errno. AF_UNIX connects complete at once (or fail
// with EAGAIN when the listener's backlog is full).
static Napi::Value Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  sockaddr_un addr;
  socklen_t len;
  int r = MakeAddr(info[1].As<Napi::String>().Utf8Value(), &addr, &len);
  if (r < 0) return Napi::Number::New(env, r);
  while ((r = connect(fd, reinterpret_cast<sockaddr*>(&addr), len)) < 0 && errno == EINTR) {
  }
  if (r < 0) return Errno(env, errno);
  return Napi::Number::New(env, 0);
}

// sendFds(fd, payload: Buffer, fds: number[]): bytes sent or -errno.
static Napi::Value SendFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<char> payload = info[1].As<Napi::Buffer<char>>();
  Napi::Array list = info[2].As<Napi::Array>();
  std::vector<int> fds;
  for (uint32_t i = 0; i < list.Length(); i++) fds.push_back(list.Get(i).As<Napi::Number>().Int32Value());

  iovec iov;
  char empty = 0;
  iov.iov_base = payload.Length() ? payload.Data() : &empty;
  iov.iov_len = payload.Length();
  msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control;
  if (!fds.empty()) {
    control.assign(CMSG_SPACE(sizeof(int) * fds.size()), 0);
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  while ((n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && errno == EINTR) {
  }
  if (n < 0) return Errno(env, errno);
  return Napi::Number::New(env, static_cast<double>(n));
}

// socketpair(): [a, b] (SOCK_STREAM, close-on-exec, blocking) or -errno.
// Blocking on purpose: one end usually becomes a child's stdout/stderr.
static Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return Errno(env, errno);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, sv[0]));
  out.Set(1u, Napi::Number::New(env, sv[1]));
  return out;
}

// peerCred(fd): {pid, uid, gid} or -errno.
static Napi::Value PeerCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return Errno(env, errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, cred.pid));
  out.Set("uid", Napi::Number::New(env, cred.uid));
  out.Set("gid", Napi::Number::New(env, cred.gid));
  return out;
}

// fdType(fd): 'pipe' | 'fifo' | 'file' | 'directory' | 'chardev' | 'blockdev' |
// 'stream-socket' | 'listening-socket' | 'dgram-socket' | 'seqpacket-socket' | 'unknown', or -errno.
static Napi::Value FdType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct stat st;
  if (fstat(fd, &st) < 0) return Errno(env, errno);
  const char* type = "unknown";
  if (S_ISFIFO(st.st_mode)) {
    // Anonymous pipes live on pipefs and show as "pipe:[ino]" in /proc.
    char link[64];
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = readlink(path.c_str(), link, sizeof(link) - 1);
    type = (n > 5 && strncmp(link, "pipe:", 5) == 0) ? "pipe" : "fifo";
  } else if (S_ISREG(st.st_mode)) {
    type = "file";
  } else if (S_ISDIR(st.st_mode)) {
    type = "directory";
  } else if (S_ISCHR(st.st_mode)) {
    type = "chardev";
  } else if (S_ISBLK(st.st_mode)) {
    type = "blockdev";
  } else if (S_ISSOCK(st.st_mode)) {
    int so = 0;
    socklen_t len = sizeof(so);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &so, &len) < 0) return Errno(env, errno);
    int listening = 0;
    len = sizeof(listening);
    if (so == SOCK_STREAM && getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening) {
      type = "listening-socket";  // reading it would wait for a connection forever
    } else {
      type = so == SOCK_STREAM ? "stream-socket" : so == SOCK_DGRAM ? "dgram-socket"
           : so == SOCK_SEQPACKET ? "seqpacket-socket" : "unknown";
    }
  }
  return Napi::String::New(env, type);
}

// lseek(fd, offset, whence: 'set'|'cur'|'end'|'data'): new offset or -errno.
static Napi::Value Lseek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  off_t off = static_cast<off_t>(info[1].As<Napi::Number>().Int64Value());
  std::string w = info[2].As<Napi::String>().Utf8Value();
  int whence = w == "set" ? SEEK_SET : w == "cur" ? SEEK_CUR : w == "end" ? SEEK_END : w == "data" ? SEEK_DATA : -1;
  if (whence < 0) return Errno(env, EINVAL);
  off_t r = lseek(fd, off, whence);
  if (r < 0) return Errno(env, errno);
  return Napi::Number::New(env, static_cast<double>(r));
}

// clock(which: 'realtime'|'monotonic', out: Float64Array): out[0] = seconds,
// out[1] = nanoseconds. Date.now() only has milliseconds, and /dev/kmsg
// timestamps are CLOCK_MONOTONIC.
static Napi::Value Clock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  clockid_t id = info[0].As<Napi::String>().Utf8Value() == "monotonic" ? CLOCK_MONOTONIC : CLOCK_REALTIME;
  Napi::Float64Array out = info[1].As<Napi::Float64Array>();
  timespec ts;
  clock_gettime(id, &ts);
  out[0] = static_cast<double>(ts.tv_sec);
  out[1] = static_cast<double>(ts.tv_nsec);
  return env.Undefined();
}

Napi::Object InitFdOps(Napi::Env env, Napi::Object exports) {
  exports.Set("socket", Napi::Function::New(env, Socket));
  exports.Set("bind", Napi::Function::New(env, Bind));
  exports.Set("listen", Napi::Function::New(env, Listen));
  exports.Set("connect", Napi::Function::New(env, Connect));
  exports.Set("sendFds", Napi::Function::New(env, SendFds));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred));
  exports.Set("fdType", Napi::Function::New(env, FdType));
  exports.Set("lseek", Napi::Function::New(env, Lseek));
  exports.Set("clock", Napi::Function::New(env, Clock));
  return exports;
}

}  // namespace diagkit
