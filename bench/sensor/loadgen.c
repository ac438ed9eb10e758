// The load of bench/sensor/run.sh: a syscall mix on one core.
//
//   loadgen ITERATIONS FILE
//
// Each iteration does openat(FILE) + read(64) + read(EOF or more) + close +
// write(64 bytes to /dev/null) + getppid: 6 syscalls, 5 of which the sensor can
// encode (getppid is there to show the cost of a syscall that the kernel
// filter drops). Prints syscalls done, the CPU time the process used (user +
// kernel, which includes the sensor's BPF programs run in its syscalls) and
// that per syscall: on a shared machine, wall time would mostly measure the
// other processes.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: loadgen ITERATIONS FILE\n");
		return 2;
	}
	long n = atol(argv[1]);
	const char *path = argv[2];
	int devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0) {
		perror("/dev/null");
		return 1;
	}
	char buf[64] = {0};
	struct timespec a, b;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (long i = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, path, O_RDONLY);
		if (fd < 0) {
			perror(path);
			return 1;
		}
		if (read(fd, buf, sizeof buf) < 0 || read(fd, buf, sizeof buf) < 0)
			return 1;
		close(fd);
		if (write(devnull, buf, sizeof buf) < 0)
			return 1;
		syscall(SYS_getppid);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	long calls = n * 6;
	printf("syscalls %ld cpu_ns %.0f ns_per_syscall %.1f\n", calls, ns, ns / calls);
	return 0;
}
