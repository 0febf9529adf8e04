// kmsgDrain: reads a non-blocking /dev/kmsg fd until it has nothing more, in
// one call. Each read() returns one record, so a dump of a full ring is a
// thousand or more reads; done from JavaScript, Node's per-call overhead costs
// several times the reads themselves.
#include <errno.h>
#include <unistd.h>

#include <vector>

#include "common.h"

namespace diagkit {

// The kernel log buffer is at most 32 MiB (CONFIG_LOG_BUF_SHIFT <= 25): one
// call holds a whole ring with room to spare, and no more.
static const size_t kMaxBatch = size_t(64) << 20;

// kmsgDrain(fd, readSize) -> [data: Buffer, ends: Uint32Array, epipe: number[], status: number]
//   data    the records back to back, as read
//   ends    end offset in data of each record
//   epipe   record indexes that an EPIPE (records overwritten) came just before;
//           an index equal to ends.length means "after the last record"
//   status  0 = EAGAIN (drained), 1 = a 0-byte read (end of file), 2 = this
//           call's 64 MiB is full (call again), -errno = a read failed
//           (EINVAL: a record larger than readSize); the records before it
//           are in data
// Every read asks for exactly readSize bytes, as the per-record path does,
// so a record that does not fit fails with EINVAL in both.
static Napi::Value KmsgDrain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int64_t size = info[1].As<Napi::Number>().Int64Value();
  if (size <= 0 || size > (1 << 24)) return Errno(env, EINVAL);
  const size_t read_size = static_cast<size_t>(size);

  std::vector<char> data;
  data.reserve(256 * 1024);  // a typical full ring in one go
  std::vector<uint32_t> ends;
  std::vector<uint32_t> epipe;
  size_t used = 0;
  int status = 0;
  for (;;) {
    if (used + read_size > kMaxBatch) {  // keeps offsets 32-bit and memory bounded
      status = 2;
      break;
    }
    if (data.size() < used + read_size) data.resize(used + read_size > data.size() * 2 ? used + read_size : data.size() * 2);
    ssize_t n = read(fd, data.data() + used, read_size);
    if (n > 0) {
      used += static_cast<size_t>(n);
      ends.push_back(static_cast<uint32_t>(used));
      continue;
    }
    if (n == 0) {
      status = 1;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE) {
      epipe.push_back(static_cast<uint32_t>(ends.size()));
      continue;
    }
    status = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    break;
  }

  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0u, Napi::Buffer<char>::Copy(env, data.data(), used));
  Napi::Uint32Array js_ends = Napi::Uint32Array::New(env, ends.size());
  for (size_t i = 0; i < ends.size(); i++) js_ends[i] = ends[i];
  out.Set(1u, js_ends);
  Napi::Array js_epipe = Napi::Array::New(env, epipe.size());
  for (size_t i = 0; i < epipe.size(); i++) js_epipe.Set(static_cast<uint32_t>(i), Napi::Number::New(env, epipe[i]));
  out.Set(2u, js_epipe);
  out.Set(3u, Napi::Number::New(env, status));
  return out;
}

Napi::Object InitKmsgDrain(Napi::Env env, Napi::Object exports) {
  exports.Set("kmsgDrain", Napi::Function::New(env, KmsgDrain));
  return exports;
}

}  // namespace diagkit
