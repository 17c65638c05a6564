//go:build !linux

package runner

import (
	"fmt"
	"runtime"
)

// pinSelf fails: fixing CPU placement uses Linux's CPU affinity calls.
func pinSelf(int) (restore func(), err error) {
	return nil, fmt.Errorf("--pin needs Linux (CPU affinity), this is %s", runtime.GOOS)
}
