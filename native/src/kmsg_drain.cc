// kmsgDrain: reads a non-blocking /dev/kmsg fd until it has nothing more, in
// one call. Done from JavaScript, Node's per-call overhead would cost several
// times the reads themselves.
#include <errno.h>
#include <unistd.h>

#include "common.h"
#include "kmsg_read.h"

namespace diagkit {

void ReadKmsgChunk(int fd, size_t read_size, size_t max_records, size_t max_bytes, KmsgChunk& chunk) {
  if (chunk.data.capacity() == 0) chunk.data.reserve(max_records > 4096 ? 256 * 1024 : 64 * 1024);
  for (;;) {
    if (chunk.ends.size() >= max_records || chunk.used + read_size > max_bytes) {  // keeps offsets 32-bit and memory bounded
      chunk.status = kKmsgMore;
      return;
    }
    size_t want = chunk.used + read_size;
    if (chunk.data.size() < want) chunk.data.resize(want > chunk.data.size() * 2 ? want : chunk.data.size() * 2);
    ssize_t n = read(fd, chunk.data.data() + chunk.used, read_size);
    if (n > 0) {
      chunk.used += static_cast<size_t>(n);
      chunk.ends.push_back(static_cast<uint32_t>(chunk.used));
      continue;
    }
    if (n == 0) {
      chunk.status = kKmsgEof;
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE) {
      chunk.epipe.push_back(static_cast<uint32_t>(chunk.ends.size()));
      continue;
    }
    chunk.status = (errno == EAGAIN || errno == EWOULDBLOCK) ? kKmsgDrained : -errno;
    return;
  }
}

Napi::Array KmsgChunkToJs(Napi::Env env, const KmsgChunk& chunk) {
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0u, Napi::Buffer<char>::Copy(env, chunk.data.data(), chunk.used));
  Napi::Uint32Array ends = Napi::Uint32Array::New(env, chunk.ends.size());
  for (size_t i = 0; i < chunk.ends.size(); i++) ends[i] = chunk.ends[i];
  out.Set(1u, ends);
  Napi::Array epipe = Napi::Array::New(env, chunk.epipe.size());
  for (size_t i = 0; i < chunk.epipe.size(); i++) epipe.Set(static_cast<uint32_t>(i), Napi::Number::New(env, chunk.epipe[i]));
  out.Set(2u, epipe);
  out.Set(3u, Napi::Number::New(env, chunk.status));
  return out;
}

// kmsgDrain(fd, readSize) -> [data, ends, epipe, status] (see kmsg_read.h):
// status 2 means this call's 64 MiB is full (call again).
static Napi::Value KmsgDrain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int64_t size = info[1].As<Napi::Number>().Int64Value();
  if (size <= 0 || size > (1 << 24)) return Errno(env, EINVAL);
  KmsgChunk chunk;
  ReadKmsgChunk(fd, static_cast<size_t>(size), SIZE_MAX, kMaxKmsgBatch, chunk);
  return KmsgChunkToJs(env, chunk);
}

Napi::Object InitKmsgDrain(Napi::Env env, Napi::Object exports) {
  exports.Set("kmsgDrain", Napi::Function::New(env, KmsgDrain));
  return exports;
}

}  // namespace diagkit
