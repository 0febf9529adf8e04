// Reading /dev/kmsg in batches: each read() returns one record, so a dump of
// a full ring is a thousand or more reads. Shared by kmsgDrain (one call reads
// everything) and KmsgReadAhead (a thread reads while JavaScript parses).
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

namespace diagkit {

// The kernel log buffer is at most 32 MiB (CONFIG_LOG_BUF_SHIFT <= 25): one
// drain holds a whole ring with room to spare, and no more.
constexpr size_t kMaxKmsgBatch = size_t(64) << 20;

// Status of a chunk, as JavaScript sees it.
constexpr int kKmsgDrained = 0;  // EAGAIN: nothing more held now
constexpr int kKmsgEof = 1;      // a 0-byte read
constexpr int kKmsgMore = 2;     // stopped at a limit: more may follow
// any other value: -errno of the read that failed (records before it are in the chunk)

struct KmsgChunk {
  std::vector<char> data;       // records back to back (data.size() >= used)
  size_t used = 0;
  std::vector<uint32_t> ends;   // end offset of each record in data
  std::vector<uint32_t> epipe;  // record indexes an EPIPE (records overwritten) came just before
  int status = kKmsgDrained;
};

// Reads records of at most read_size bytes each into chunk until the fd has
// nothing more, a read fails, max_records records were read, or the next read
// could take chunk past max_bytes. Every read asks for exactly read_size
// bytes, so a record that does not fit fails with EINVAL.
void ReadKmsgChunk(int fd, size_t read_size, size_t max_records, size_t max_bytes, KmsgChunk& chunk);

// [data: Buffer, ends: Uint32Array, epipe: number[], status: number]
Napi::Array KmsgChunkToJs(Napi::Env env, const KmsgChunk& chunk);

}  // namespace diagkit
