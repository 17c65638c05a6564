package worker

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/testutil"
)

// busyChild starts a shell that spins on the CPU once it has read a line,
// as a sliced run's worker would.
func busyChild(t *testing.T) *Proc {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh:", err)
	}
	p, err := Start(context.Background(), Command{Name: "busy child", Argv: []string{sh, "-c", "read line; while :; do :; done"}, Env: os.Environ()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if err := p.SendSpec(Spec{}); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProcessCPUClock: the CPU clock of a child read by the harness grows
// while the child spins, stands still while it is paused, and agrees with
// what the kernel's scheduler accounts to it.
func TestProcessCPUClock(t *testing.T) {
	p := busyChild(t)
	// Spin until the child has used 50 ms of CPU, however busy the machine.
	var used time.Duration
	var err error
	testutil.Eventually(t, 30*time.Second, func() bool {
		used, err = p.CPU()
		return err != nil || used >= 50*time.Millisecond
	}, "the child to use 50ms of CPU")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := p.AwaitPause(); err != nil {
		t.Fatal(err)
	}
	a, _ := p.CPU()
	sched := schedstat(t, p.cmd.Process.Pid)
	time.Sleep(20 * time.Millisecond) // a window to see the clock stand still in
	b, _ := p.CPU()
	if a != b {
		t.Errorf("a paused child's CPU clock moved from %v to %v", a, b)
	}
	if d := a - sched; d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("CPU clock %v, scheduler's account %v", a, sched)
	}
	if _, err := processCPU(1<<22 + 1); err == nil { // above any pid_max
		t.Error("read the CPU clock of a process that does not exist")
	}
}

// schedstat is the CPU time the scheduler accounts to process pid's main
// thread (the shell has no other): the first field of its schedstat.
func schedstat(t *testing.T, pid int) time.Duration {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "schedstat"))
	if err != nil {
		t.Skip("no schedstat:", err)
	}
	d, err := time.ParseDuration(strings.Fields(string(data))[0] + "ns")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAwaitPauseOfAKilledProcess: a process that dies while the harness
// waits for it to stop is an error, not a hang.
func TestAwaitPauseOfAKilledProcess(t *testing.T) {
	p := busyChild(t)
	p.Kill()
	if err := p.AwaitPause(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("awaiting the stop of a killed child: %v, want an error saying it was killed", err)
	}
}
