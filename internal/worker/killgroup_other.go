//go:build !unix

package worker

import "os"

// killGroup kills p: this system has no process groups.
func killGroup(p *os.Process) error {
	if p == nil {
		return nil
	}
	return p.Kill()
}
