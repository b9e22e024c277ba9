// lsmoe: how many threads a pass over the rows runs on when the machine is busy.
//
// A pass asks for `threads` threads (lse_control(threads)) and runs on no more than the machine's
// free cores: the online CPUs less the runnable tasks of other processes, counted at that moment.
// The reason is OpenMP's waiting: libgomp's threads spin for a while (GOMP_SPINCOUNT, about 3 ms
// by default) at the end of a parallel region and between regions before they sleep, so a second
// thread that shares its core with another process takes that core's time from the process, or
// from the pass's own first thread, and a pass waits for a chunk held by a thread the system has
// descheduled. On a 2-core machine with the other core busy, two threads took 1.8 times as long
// as one for a one-start fit at n = 2e5 (bench/threads.R, bench/results-threads.md).
// OMP_WAIT_POLICY=passive removes the spinning, but libgomp reads it once, when it is loaded, and
// R itself links libgomp: a package cannot set it (bench/NOTES.md).
//
// The count (Linux): the machine's runnable tasks are the fourth field of /proc/loadavg
// ("running/total", the same instantaneous count as procs_running in /proc/stat), this
// process's own those of /proc/self/task/*/stat in state R (read first: the pass's own threads,
// still spinning after the previous pass, are not load, and a thread that falls asleep between
// the two reads then errs towards more threads, not fewer). Other systems, or a /proc that cannot
// be read: unknown, and the pass uses the threads asked for. Reading costs tens of microseconds,
// so a pass reuses a count younger than `load_max_age` (LoadCache). The number of threads never
// changes a result: the chunks' partial sums are added in chunk order (fused.hpp).
#ifndef LSMOE_THREADS_HPP
#define LSMOE_THREADS_HPP

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#if defined(__linux__)
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#endif

namespace lsmoe {

// The threads of a pass that asks for `requested` on a machine with `online` CPUs, `running`
// runnable tasks in all and `own` of them in this process (the calling thread among them):
// min(requested, online - (running - own)), at least 1; `requested` when online, running or own
// is unknown (negative).
inline int threads_for_load(int requested, int online, int running, int own) {
  if (requested <= 1) return 1;
  if (online < 1 || running < 0 || own < 0) return requested;
  const int others = std::max(0, running - own);
  return std::max(1, std::min(requested, online - others));
}

// The machine's load now: online CPUs, runnable tasks in all and in this process; -1 unknown.
struct CpuLoad {
  int online = -1, running = -1, own = -1;
};

namespace detail {
#if defined(__linux__)
// Reads at most size - 1 bytes of a file into buf (NUL-terminated); the count, or -1.
inline int read_small_file(const char* path, char* buf, int size) {
  const int fd = ::open(path, O_RDONLY);
  if (fd < 0) return -1;
  const long m = static_cast<long>(::read(fd, buf, static_cast<size_t>(size - 1)));
  ::close(fd);
  if (m < 0) return -1;
  buf[m] = '\0';
  return static_cast<int>(m);
}
#endif
}  // namespace detail

inline CpuLoad cpu_load() {
  CpuLoad L;
#if defined(__linux__)
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (online < 1) return L;
  char path[64], buf[256];
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return L;
  int own = 0;
  while (const dirent* ent = ::readdir(dir)) {
    if (ent->d_name[0] < '0' || ent->d_name[0] > '9') continue;
    std::snprintf(path, sizeof path, "/proc/self/task/%.20s/stat", ent->d_name);
    if (detail::read_small_file(path, buf, sizeof buf) <= 0) continue;
    const char* rp = std::strrchr(buf, ')');  // "tid (comm) S ...": comm may hold spaces and parentheses
    if (rp != nullptr && rp[1] == ' ' && rp[2] == 'R') ++own;
  }
  ::closedir(dir);
  if (detail::read_small_file("/proc/loadavg", buf, sizeof buf) <= 0) return L;
  double a1, a5, a15;
  int running, total;
  if (std::sscanf(buf, "%lf %lf %lf %d/%d", &a1, &a5, &a15, &running, &total) != 5 || running < 1) return L;
  L.online = static_cast<int>(online);
  L.running = running;
  L.own = own;
#endif
  return L;
}

// Seconds for which a pass reuses the load it read (LoadCache).
constexpr double load_max_age = 0.01;

// The threads of a pass from the load, read again when the last reading is older than
// load_max_age. One per problem, used by one thread at a time.
class LoadCache {
 public:
  int threads(int requested) {
    if (requested <= 1) return 1;
    const Clock::time_point now = Clock::now();
    if (!read_ || std::chrono::duration<double>(now - when_).count() > load_max_age) {
      load_ = cpu_load();
      when_ = now;
      read_ = true;
    }
    return threads_for_load(requested, load_.online, load_.running, load_.own);
  }

 private:
  typedef std::chrono::steady_clock Clock;
  bool read_ = false;
  Clock::time_point when_;
  CpuLoad load_;
};

}  // namespace lsmoe

#endif
