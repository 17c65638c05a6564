//go:build unix

package runner

import (
	"runtime"
	"syscall"
)

func readUsage() usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	rss := int64(ru.Maxrss) * 1024 // KiB on Linux and the BSDs
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		rss = int64(ru.Maxrss) // bytes
	}
	if v, ok := peakRSS(); ok {
		rss = v
	}
	return usage{user: tv(ru.Utime), sys: tv(ru.Stime), maxRSS: rss}
}
