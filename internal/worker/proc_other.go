//go:build !linux

package worker

import "os/exec"

// reap waits for the process's exit.
func (p *Proc) reap() {
	ps, err := p.cmd.Process.Wait()
	if err == nil && !ps.Success() {
		err = &exec.ExitError{ProcessState: ps}
	}
	p.ended(err)
}
