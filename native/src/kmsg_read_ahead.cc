// KmsgReadAhead: drains a non-blocking /dev/kmsg fd on a thread of its own,
// handing the records to JavaScript in chunks as they are read. A dump is
// about a microsecond of kernel time per record (one read() each) and a few
// more of JavaScript parsing it; with the reads done alongside, a dump costs
// the parsing alone. JavaScript takes chunks with next(), which waits only
// when the thread has not read the next chunk yet.
//
//   new KmsgReadAhead(fd, readSize)  starts reading at once
//   next()   -> [data, ends, epipe, status, last] (kmsg_read.h); status is 2
//               on every chunk but the last, and on the last too when it
//               stopped at the 64 MiB cap; null once the last was taken
//   close()  stops the thread and waits for it: call before closing the fd
#include <errno.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common.h"
#include "kmsg_read.h"

namespace diagkit {

// The first chunk is small so that JavaScript can start parsing almost at
// once. Each later one is at most 3 times the one before: JavaScript takes
// about 3 times longer to parse a record than the kernel takes to read it, so
// the next chunk is ready by the time the last one is parsed. Past 512
// records, handing a chunk over costs little against its parsing.
constexpr size_t kFirstChunkRecords = 16;
constexpr size_t kChunkGrowth = 3;
constexpr size_t kMaxChunkRecords = 512;

class KmsgReadAhead : public Napi::ObjectWrap<KmsgReadAhead> {
 public:
  static void Init(Napi::Env env, Napi::Object exports) {
    exports.Set("KmsgReadAhead", DefineClass(env, "KmsgReadAhead", {
      InstanceMethod<&KmsgReadAhead::Next>("next"),
      InstanceMethod<&KmsgReadAhead::Close>("close"),
    }));
  }

  explicit KmsgReadAhead(const Napi::CallbackInfo& info) : Napi::ObjectWrap<KmsgReadAhead>(info) {
    fd_ = info[0].As<Napi::Number>().Int32Value();
    int64_t size = info[1].As<Napi::Number>().Int64Value();
    if (size <= 0 || size > (1 << 24)) {
      Napi::RangeError::New(info.Env(), "KmsgReadAhead: readSize out of range").ThrowAsJavaScriptException();
      return;
    }
    read_size_ = static_cast<size_t>(size);
    thread_ = std::thread([this] { Run(); });
  }

  ~KmsgReadAhead() override { Stop(); }

 private:
  void Run() {
    size_t total = 0;
    size_t limit = kFirstChunkRecords;
    for (;;) {
      KmsgChunk chunk;
      ReadKmsgChunk(fd_, read_size_, limit, kMaxKmsgBatch - total, chunk);
      total += chunk.used;
      // A chunk that stopped at its record limit goes on; one that stopped at
      // the byte cap ends this read-ahead with status 2 (the caller starts
      // another), as kmsgDrain does.
      bool last = chunk.status != kKmsgMore || total + read_size_ > kMaxKmsgBatch;
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) last = true;
      ready_.push_back(std::move(chunk));
      if (last) done_ = true;
      cv_.notify_one();
      if (last) return;
      limit = std::min(limit * kChunkGrowth, kMaxChunkRecords);
    }
  }

  Napi::Value Next(const Napi::CallbackInfo& info) {
    KmsgChunk chunk;
    bool last;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return !ready_.empty() || done_; });
      if (ready_.empty()) return info.Env().Null();
      chunk = std::move(ready_.front());
      ready_.pop_front();
      last = done_ && ready_.empty();
    }
    Napi::Array out = KmsgChunkToJs(info.Env(), chunk);
    out.Set(4u, Napi::Boolean::New(info.Env(), last));
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop();
    return info.Env().Undefined();
  }

  // The thread ends at its next chunk boundary (a dump's chunks take well
  // under a millisecond), then the fd is no longer used.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

  int fd_ = -1;
  size_t read_size_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<KmsgChunk> ready_;
  bool done_ = false;
  bool stop_ = false;
};

Napi::Object InitKmsgReadAhead(Napi::Env env, Napi::Object exports) {
  KmsgReadAhead::Init(env, exports);
  return exports;
}

}  // namespace diagkit
