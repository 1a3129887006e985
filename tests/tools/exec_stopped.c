// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * exec_stopped DIR PROGRAM [ARGS...] - run PROGRAM held at its first
 * instruction, before the dynamic linker has mapped a single library, until
 * told to go on: the state in which a process that has just exec()ed is
 * caught by a /proc scan, made to last.
 *
 * Writes DIR/pid (PROGRAM's PID) once it is held, waits for DIR/resume, lets
 * it run and waits for it; exits with its exit status.  How: the child asks to
 * be traced and execs; the kernel stops a traced process right after exec,
 * before any of its code (ld.so's included) runs.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void write_pid(const char *dir, pid_t pid)
{
	char path[4096], tmp[4100];
	FILE *file;

	snprintf(path, sizeof(path), "%s/pid", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	file = fopen(tmp, "w");
	if (!file || fprintf(file, "%d\n", pid) < 0 || fclose(file) || rename(tmp, path)) {
		perror(path);
		_exit(2);
	}
}

static void wait_for_resume(const char *dir)
{
	struct timespec pause = { 0, 5 * 1000 * 1000 };
	char path[4096];

	snprintf(path, sizeof(path), "%s/resume", dir);
	while (access(path, F_OK) != 0)
		nanosleep(&pause, NULL);
}

int main(int argc, char **argv)
{
	int status;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: exec_stopped DIR PROGRAM [ARGS...]\n");
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execv(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		fprintf(stderr, "exec_stopped: %s did not stop after exec\n", argv[2]);
		return 2;
	}
	/* If this process dies, so does the held one. */
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_EXITKILL);
	write_pid(argv[1], pid);
	wait_for_resume(argv[1]);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	if (waitpid(pid, &status, 0) != pid)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
