//go:build linux

package worker

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDescribeHostileBuilds: a --build that is not a scalebench binary, or
// misbehaves when asked who it is, is refused with a clear message, in
// bounded time and memory, leaving no process behind.
func TestDescribeHostileBuilds(t *testing.T) {
	defer func(d time.Duration) { describeTimeout = d }(describeTimeout)
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	orphan := filepath.Join(dir, "orphan.pid")
	gnuTrue, _ := exec.LookPath("true")
	for _, tc := range []struct {
		name, path string
		want       string
		not        string        // what the message must not quote
		maxAlloc   uint64        // bytes Describe may allocate; 0: not checked
		timeout    time.Duration // describeTimeout; 0: 30 s
	}{
		{name: "hangs, with a child holding its output open",
			path: script("hang", "sleep 300 & echo $! > "+orphan+"\nsleep 300"),
			want: "did not answer within 1s", timeout: time.Second},
		{name: "prints 200 MB",
			path: script("chatty", "head -c 200000000 /dev/zero | tr '\\0' 'x'"),
			want: "not a scalebench binary", maxAlloc: 16 << 20},
		{name: "GNU true", path: gnuTrue, want: "not a scalebench binary", not: "coreutils"},
		{name: "describes itself with a 60 KB version",
			path: script("long", `printf '{"version":"%060000d","protocol":1}\n' 0`),
			want: "its description is not one scalebench writes", not: "0000000000"},
		{name: "describes itself with an escape sequence",
			path: script("escape", `printf '{"version":"v1","commit":"\\u001b[31m","protocol":1}\n'`),
			want: "its description is not one scalebench writes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path == "" {
				t.Skip("not installed")
			}
			describeTimeout = 30 * time.Second
			if tc.timeout > 0 {
				describeTimeout = tc.timeout
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			done := make(chan error, 1)
			start := time.Now()
			go func() {
				_, err := Describe(context.Background(), tc.path)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(describeTimeout + 20*time.Second):
				t.Fatalf("Describe(%s) has not returned after %s", tc.path, describeTimeout+20*time.Second)
			}
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tc.want) || tc.not != "" && strings.Contains(err.Error(), tc.not) {
				t.Errorf("err = %v, want it to say %q and not to quote %q", err, tc.want, tc.not)
			}
			if took := time.Since(start); took > describeTimeout+describeWaitDelay+5*time.Second {
				t.Errorf("Describe took %s", took)
			}
			if a := after.TotalAlloc - before.TotalAlloc; tc.maxAlloc > 0 && a > tc.maxAlloc {
				t.Errorf("Describe allocated %d MB reading the output", a>>20)
			}
		})
	}
	// The child the hanging build left holding its output was killed with it.
	b, err := os.ReadFile(orphan)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if running(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("the hanging build's child %d still runs", pid)
	}
}

// running reports whether process pid exists and is not a zombie.
func running(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
