//go:build unix

package worker

import (
	"errors"
	"os"
	"syscall"
)

// killGroup kills the process group p leads (p started with
// procAttr), so that the children it started die with it.
func killGroup(p *os.Process) error {
	if p == nil {
		return nil
	}
	err := syscall.Kill(-p.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}
