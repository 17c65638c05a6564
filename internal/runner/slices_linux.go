//go:build linux

package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const slicesSupported = true

// Timing of a session: how long a worker may take to stop once told to,
// and to report and exit once its run is over.
const (
	stopTimeout   = 10 * time.Second
	reportTimeout = 30 * time.Second
)

// runSession runs s: it starts every worker process, waits until all are
// ready, stops them, gives them the go signal, then runs the builds in
// turn, a slice at a time, through the warm-up and the rounds; at the end
// it resumes them all, tells them to stop, and reads their reports. Every
// process is killed if the session fails or ctx ends.
func runSession(ctx context.Context, s *session) (sessionOutcome, error) {
	nb := len(s.procs)
	out := sessionOutcome{slices: make([][]slice, nb), reports: make([][]Report, nb)}
	groups := make([][]*slicedProc, nb)
	var all []*slicedProc
	defer func() {
		for _, p := range all {
			p.close()
		}
	}()
	for b, specs := range s.procs {
		for _, ps := range specs {
			p, err := startSliced(ps)
			if err != nil {
				return out, err
			}
			all = append(all, p)
			groups[b] = append(groups[b], p)
		}
	}
	ready := time.Now().Add(startupTimeout)
	for _, p := range all {
		if err := p.awaitReady(ready); err != nil {
			return out, err
		}
	}
	// Every process waits, stopped, for its first slice.
	for _, p := range all {
		if err := p.signal(syscall.SIGSTOP); err != nil {
			return out, err
		}
	}
	for _, p := range all {
		if err := p.awaitStop(); err != nil {
			return out, err
		}
		if err := p.send(msgGo); err != nil {
			return out, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.budget)
	defer cancel()
	// Warm-up: rounds until every build has run its warm-up, and at least
	// one slice (its first runs the worker's own start-up).
	ran := make([]time.Duration, nb)
	maxRounds := int(float64(s.warmup)/((1-sliceJitter)*float64(s.nominal))) + 2
	for n := 0; n == 0 || minDuration(ran) < s.warmup; n++ {
		if n == maxRounds {
			return out, fmt.Errorf("session: the builds ran %v after %d warm-up rounds, want %s each", ran, n, s.warmup)
		}
		for _, r := range schedule(s.rng, nb, 1, s.nominal) {
			for _, b := range r.order {
				sl, err := runSlice(ctx, groups[b], r.length)
				if err != nil {
					return out, err
				}
				ran[b] += time.Duration(sl.to - sl.from)
			}
		}
	}
	for _, r := range s.rounds {
		for _, b := range r.order {
			sl, err := runSlice(ctx, groups[b], r.length)
			if err != nil {
				return out, err
			}
			out.slices[b] = append(out.slices[b], sl)
		}
	}
	for _, p := range all {
		if err := p.signal(syscall.SIGCONT); err != nil {
			return out, err
		}
	}
	for _, p := range all {
		if err := p.send(msgStop); err != nil {
			return out, err
		}
	}
	deadline := time.Now().Add(reportTimeout)
	for b, g := range groups {
		for _, p := range g {
			rep, err := p.report(deadline)
			if err != nil {
				return out, err
			}
			out.reports[b] = append(out.reports[b], rep)
		}
	}
	return out, nil
}

func minDuration(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds[1:] {
		m = min(m, d)
	}
	return m
}

// runSlice runs procs, stopped, for length: it reads their CPU clocks,
// resumes them, waits, stops them and waits until each has stopped, then
// reads their clocks again. It stops them even when ctx ends meanwhile,
// and then returns ctx's error.
func runSlice(ctx context.Context, procs []*slicedProc, length time.Duration) (slice, error) {
	var sl slice
	before := make([]time.Duration, len(procs))
	for i, p := range procs {
		c, err := p.cpu()
		if err != nil {
			return sl, err
		}
		before[i] = c
	}
	sl.from = time.Now().UnixNano()
	var errs []error
	for _, p := range procs {
		errs = append(errs, p.signal(syscall.SIGCONT))
	}
	t := time.NewTimer(length)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
		errs = append(errs, fmt.Errorf("session: %w", context.Cause(ctx)))
	}
	for _, p := range procs {
		errs = append(errs, p.signal(syscall.SIGSTOP))
	}
	for _, p := range procs {
		errs = append(errs, p.awaitStop())
	}
	sl.to = time.Now().UnixNano()
	if err := errors.Join(errs...); err != nil {
		return sl, err
	}
	for i, p := range procs {
		c, err := p.cpu()
		if err != nil {
			return sl, err
		}
		sl.cpu += c - before[i]
	}
	return sl, nil
}

// slicedProc is a worker process of a session, speaking the worker
// protocol over its pipes. The harness is its only waiter: one goroutine
// reaps it with wait4(WUNTRACED), which reports each group stop as well
// as the exit, so a stop is confirmed without a race with the reaping.
type slicedProc struct {
	name   string // which process of the session, for errors
	cmd    *exec.Cmd
	pid    int
	stdin  *os.File
	stdout *os.File
	out    *bufio.Reader
	stderr lockedBuffer
	// stopped receives a value for each group stop; exited is closed once
	// the process is reaped, with its status in status.
	stopped    chan struct{}
	exited     chan struct{}
	status     syscall.WaitStatus
	waitErr    error
	stderrDone chan struct{}
}

// startSliced starts a worker process for ps and sends it its spec.
func startSliced(ps procSpec) (*slicedProc, error) {
	var files [6]*os.File // stdin, stdout and stderr: the child's end, then ours
	for i := 0; i < 3; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			closeFiles(files[:])
			return nil, fmt.Errorf("start worker: %w", err)
		}
		if i == 0 {
			files[0], files[3] = r, w
		} else {
			files[i], files[i+3] = w, r
		}
	}
	cmd := exec.Command(ps.argv[0], ps.argv[1:]...)
	cmd.Env = ps.env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = files[0], files[1], files[2]
	cmd.SysProcAttr = workerProcAttr()
	err := cmd.Start()
	closeFiles(files[:3])
	if err != nil {
		closeFiles(files[3:])
		return nil, fmt.Errorf("start worker %s: %w", ps.argv[0], err)
	}
	p := &slicedProc{
		name: ps.name, cmd: cmd, pid: cmd.Process.Pid, stdin: files[3], stdout: files[4],
		out:     bufio.NewReaderSize(files[4], 1<<20),
		stopped: make(chan struct{}, 1), exited: make(chan struct{}), stderrDone: make(chan struct{}),
	}
	go func() {
		_, _ = io.Copy(&p.stderr, files[5])
		files[5].Close()
		close(p.stderrDone)
	}()
	go p.reap()
	spec := ps.spec
	spec.Protocol = ProtocolVersion
	data, err := json.Marshal(spec)
	if err != nil {
		p.close()
		return nil, fmt.Errorf("encode spec: %w", err)
	}
	if err := p.send(string(data)); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func closeFiles(fs []*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}

// reap waits for the process's stops and its exit.
func (p *slicedProc) reap() {
	defer close(p.exited)
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(p.pid, &ws, syscall.WUNTRACED, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil:
			p.waitErr = err
			return
		case ws.Stopped():
			// Each stop is awaited before the process is resumed, so none
			// is pending here unless nobody waits for it (a session that
			// failed): then one value says enough.
			select {
			case p.stopped <- struct{}{}:
			default:
			}
			continue
		}
		p.status = ws
		return
	}
}

// signal sends sig to the process.
func (p *slicedProc) signal(sig syscall.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil {
		return p.fail("signal "+sig.String(), err)
	}
	return nil
}

// awaitStop waits until the process has stopped after SIGSTOP, every
// thread of it.
func (p *slicedProc) awaitStop() error {
	t := time.NewTimer(stopTimeout)
	defer t.Stop()
	select {
	case <-p.stopped:
		return nil
	case <-p.exited:
		return p.fail("stop", p.exitError())
	case <-t.C:
		return p.fail("stop", fmt.Errorf("%w: not stopped %s after SIGSTOP", ErrDeadline, stopTimeout))
	}
}

// cpu returns the CPU time the process has used, all its threads, living
// or exited: its process CPU clock, MAKE_PROCESS_CPUCLOCK(pid,
// CPUCLOCK_SCHED), exact to the nanosecond. A stopped process's clock
// does not move.
func (p *slicedProc) cpu() (time.Duration, error) {
	d, err := processCPU(p.pid)
	if err != nil {
		return 0, p.fail("read CPU clock", err)
	}
	return d, nil
}

// processCPU reads the CPU clock of process pid.
func processCPU(pid int) (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(int32(^pid<<3|2), &ts); err != nil {
		return 0, fmt.Errorf("CPU clock of process %d: %w", pid, err)
	}
	return time.Duration(ts.Nano()), nil
}

// send writes one protocol line to the process.
func (p *slicedProc) send(line string) error {
	_ = p.stdin.SetWriteDeadline(time.Now().Add(stopTimeout))
	if _, err := p.stdin.WriteString(line + "\n"); err != nil {
		op := "send " + line
		if len(line) > 10 {
			op = "send spec"
		}
		return p.fail(op, err)
	}
	return nil
}

// awaitReady reads the process's "ready", at most until deadline.
func (p *slicedProc) awaitReady(deadline time.Time) error {
	_ = p.stdout.SetReadDeadline(deadline)
	line, err := p.out.ReadString('\n')
	if err == nil && strings.TrimSpace(line) == msgReady {
		return nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("%w: not ready within %s", ErrDeadline, startupTimeout)
	}
	return p.fail("wait for ready", errors.Join(err, fmt.Errorf("got %q", line)))
}

// report reads the process's report and waits for it to exit, at most
// until deadline.
func (p *slicedProc) report(deadline time.Time) (Report, error) {
	_ = p.stdout.SetReadDeadline(deadline)
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("%w: no report %s after stop", ErrDeadline, reportTimeout)
		}
		return Report{}, p.fail("read report", err)
	}
	rep, err := decodeReport(line)
	if err != nil {
		return Report{}, p.fail("read report", err)
	}
	p.stdin.Close()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		return Report{}, p.fail("exit", fmt.Errorf("%w: still running %s after stop", ErrDeadline, reportTimeout))
	}
	if err := p.exitError(); err != nil {
		return Report{}, p.fail("exit", err)
	}
	return rep, nil
}

// exitError describes how the reaped process ended, or nil for a clean exit.
func (p *slicedProc) exitError() error {
	switch {
	case p.waitErr != nil:
		return p.waitErr
	case p.status.Exited() && p.status.ExitStatus() == 0:
		return nil
	case p.status.Exited():
		return fmt.Errorf("exit status %d", p.status.ExitStatus())
	case p.status.Signaled():
		return fmt.Errorf("killed by %s", p.status.Signal())
	}
	return fmt.Errorf("ended with wait status %#x", uint32(p.status))
}

// fail wraps err with the operation and what the process wrote to
// stderr, once it has exited, or a moment for it to.
func (p *slicedProc) fail(op string, err error) error {
	select {
	case <-p.stderrDone:
	case <-time.After(100 * time.Millisecond):
	}
	if p.name != "" {
		op = p.name + ": " + op
	}
	return &WorkerError{Op: op, Err: err, Stderr: p.stderr.String()}
}

// close resumes and kills the process unless it has exited, reaps it and
// closes its pipes. A process is never left stopped.
func (p *slicedProc) close() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGCONT)
		_ = p.cmd.Process.Kill()
		t := time.NewTimer(stopTimeout)
		select {
		case <-p.exited:
		case <-t.C:
		}
		t.Stop()
	}
	p.stdin.Close()
	p.stdout.Close()
	select {
	case <-p.stderrDone:
	case <-time.After(time.Second):
	}
	_ = p.cmd.Process.Release()
}
