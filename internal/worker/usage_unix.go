//go:build unix

package worker

import (
	"runtime"
	"syscall"
)

// ReadUsage returns this process's resource use so far.
func ReadUsage() Usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return Usage{}
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	rss := int64(ru.Maxrss) * 1024 // KiB on Linux and the BSDs
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		rss = int64(ru.Maxrss) // bytes
	}
	if v, ok := peakRSS(); ok {
		rss = v
	}
	return Usage{User: tv(ru.Utime), Sys: tv(ru.Stime), MaxRSS: rss}
}
