package worker

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// pauseTimeout bounds how long a worker process may take to stop once
// told to.
const pauseTimeout = 10 * time.Second

// reap waits for the process's stops and its exit. The starter is the
// process's only waiter: wait4(WUNTRACED) reports each group stop as well
// as the exit, so a stop is confirmed without a race with the reaping.
func (p *Proc) reap() {
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(p.cmd.Process.Pid, &ws, syscall.WUNTRACED, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil:
			p.ended(err)
			return
		case ws.Stopped():
			// Each stop is awaited before the process is resumed, so none
			// is pending here unless nobody waits for it (a session that
			// failed): then one value says enough.
			select {
			case p.paused <- struct{}{}:
			default:
			}
			continue
		}
		p.ended(waitError(ws))
		return
	}
}

// waitError describes how a reaped process ended, as os/exec does, or nil
// for exit status 0.
func waitError(ws syscall.WaitStatus) error {
	var s string
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		return nil
	case ws.Exited():
		s = "exit status " + strconv.Itoa(ws.ExitStatus())
	case ws.Signaled():
		s = "signal: " + ws.Signal().String()
	default:
		s = fmt.Sprintf("wait status %#x", uint32(ws))
	}
	if ws.CoreDump() {
		s += " (core dumped)"
	}
	return errors.New(s)
}

// Pause stops the process (SIGSTOP); AwaitPause confirms it has stopped.
func (p *Proc) Pause() error { return p.signal(syscall.SIGSTOP) }

// Resume resumes a paused process (SIGCONT).
func (p *Proc) Resume() error { return p.signal(syscall.SIGCONT) }

// signal sends sig to the process.
func (p *Proc) signal(sig syscall.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil {
		return p.Fail("signal "+sig.String(), err)
	}
	return nil
}

// AwaitPause waits until the process has stopped after Pause, every
// thread of it.
func (p *Proc) AwaitPause() error {
	t := time.NewTimer(pauseTimeout)
	defer t.Stop()
	select {
	case <-p.paused:
		return nil
	case <-p.exited:
		err := p.exitErr
		if err == nil {
			err = errors.New("exit status 0")
		}
		return p.Fail("stop", err)
	case <-t.C:
		return p.Fail("stop", fmt.Errorf("%w: not stopped %s after SIGSTOP", ErrDeadline, pauseTimeout))
	}
}

// CPU returns the CPU time the process has used, all its threads, living
// or exited: its process CPU clock, MAKE_PROCESS_CPUCLOCK(pid,
// CPUCLOCK_SCHED), exact to the nanosecond. A paused process's clock does
// not move.
func (p *Proc) CPU() (time.Duration, error) {
	d, err := processCPU(p.cmd.Process.Pid)
	if err != nil {
		return 0, p.Fail("read CPU clock", err)
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
