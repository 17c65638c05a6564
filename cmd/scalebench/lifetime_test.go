//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/testutil"
	"github.com/scalebench/scalebench/internal/worker"
)

// workersOf lists the live `scalebench worker` processes whose parent is pid.
func workersOf(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, state := procStat(child); ppid == pid && state != "Z" && isWorker(child) {
			out = append(out, child)
		}
	}
	return out
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	_, state := procStat(pid)
	return state != "" && state != "Z"
}

// procStat returns a process's parent pid and state letter ("" if gone).
func procStat(pid int) (int, string) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, ""
	}
	// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return 0, ""
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid, f[0]
}

func isWorker(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
	return len(args) >= 2 && args[0] == bin && args[1] == "worker"
}

// startLongRun starts a run whose measurement lasts far longer than the test
// and waits until it has n worker processes.
func startLongRun(t *testing.T, replicas int) (*exec.Cmd, []int, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	sc := writeFile(t, dir, "long.yaml", fmt.Sprintf(`name: long
images: {latency: 5ms, paths: [/64x64.png]}
load: {duration: 60s, warmup: 0s, repeats: 1, timeout: 1s}
matrix: {workers: [2], replicas: [%d]}
`, replicas))
	cmd := exec.Command(bin, "run", sc, "--out", filepath.Join(dir, "out"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	var workers []int
	if !testutil.Poll(30*time.Second, func() bool {
		workers = workersOf(cmd.Process.Pid)
		return len(workers) == replicas
	}) {
		t.Fatalf("no %d workers started within 30 s; stderr:\n%s", replicas, stderr.String())
	}
	return cmd, workers, &stderr
}

// Killing the harness with SIGKILL, which it cannot catch, takes its workers
// down with it: none is left running for the rest of its window.
func TestKilledHarnessLeavesNoWorker(t *testing.T) {
	cmd, workers, _ := startLongRun(t, 2)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	var left []int
	if !testutil.Poll(2*time.Second, func() bool {
		left = left[:0]
		for _, w := range workers {
			if alive(w) {
				left = append(left, w)
			}
		}
		return len(left) == 0
	}) {
		for _, w := range left {
			_ = syscall.Kill(w, syscall.SIGKILL)
		}
		t.Fatalf("workers %v still alive 2 s after the harness was killed", left)
	}
}

// A worker that stops answering (SIGSTOP) is noticed by its missing
// heartbeats and killed, and the run (without retries) ends with a failure
// that says so instead of waiting forever.
func TestStoppedWorkerIsCaughtByDeadline(t *testing.T) {
	dir := t.TempDir()
	sc := writeFile(t, dir, "short.yaml", `name: short
images: {latency: 5ms, paths: [/64x64.png]}
load: {duration: 3s, warmup: 0s, repeats: 1, timeout: 500ms}
matrix: {workers: [1]}
`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", sc, "--retries", "0", "--out", filepath.Join(dir, "out"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var worker int
	if !testutil.Poll(30*time.Second, func() bool {
		if w := workersOf(cmd.Process.Pid); len(w) == 1 {
			worker = w[0]
		}
		return worker != 0
	}) {
		t.Fatalf("no worker started; stderr:\n%s", stderr.String())
	}
	// Stop it mid-window, once it measures: its CPU clock runs on (jobs
	// of 5 ms images, back to back) beyond what starting up took. (A
	// worker stopped before it is ready is caught by the start-up timeout
	// instead, after 30 s.)
	from := cpuTime(worker)
	testutil.Eventually(t, 30*time.Second, func() bool { return measuring(worker, from) }, "worker %d to measure", worker)
	if err := syscall.Kill(worker, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want 1\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "silent for two heartbeat intervals") {
		t.Errorf("stderr does not name the missing heartbeats:\n%s", stderr.String())
	}
	// Two heartbeats are 2 s; the measurement's deadline, the 3 s window +
	// 0.5 s timeout + 5 s grace, is a backstop; the test's own 2-minute
	// limit is what "forever" hits.
	if waited := time.Since(stopped); waited > time.Minute {
		t.Errorf("the run took %v to notice the stopped worker", waited)
	}
	if alive(worker) {
		t.Errorf("stopped worker %d still alive after the run", worker)
	}
}

// A worker whose stdin closes (its harness is gone, whatever the signal)
// stops measuring and exits.
func TestWorkerExitsWhenStdinCloses(t *testing.T) {
	cmd := exec.Command(bin, "worker")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	spec := fmt.Sprintf(`{"protocol":%d,"urls":["http://127.0.0.1:1/64x64.png"],"thumbnail":{"width":32,"height":32},"model":"closed","workers":1,"duration":60000000000,"timeout":1000000000,"bucket":250000000}`, worker.ProtocolVersion)
	fmt.Fprintln(stdin, spec)
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("worker said %q, %v; want ready", line, err)
	}
	// The worker reads go, begins its window, then finds its stdin's end.
	fmt.Fprintln(stdin, "go")
	stdin.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("worker still measuring 10 s after its stdin closed (its window is 60 s)")
	}
}

// cpuTime is the CPU time (user and system) process pid has used so far,
// from /proc/PID/stat; 0 once the process is gone.
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which ends with the last ')':
	// utime and stime are the 14th and 15th of the line, in clock ticks
	// (100 a second on Linux).
	_, rest, _ := strings.Cut(string(data), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, _ := strconv.ParseInt(s, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// measuring reports whether worker pid measures, once its CPU clock has
// run on 50 ms past from (its CPU time when it was found), beyond what its
// start-up took.
func measuring(pid int, from time.Duration) bool {
	return cpuTime(pid) > from+50*time.Millisecond
}
