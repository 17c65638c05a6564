package runner

import "syscall"

// usage is this process's resource use so far.
type usage struct {
	user, sys float64 // CPU seconds
	maxRSS    int64   // bytes
}

func readUsage() usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return usage{user: tv(ru.Utime), sys: tv(ru.Stime), maxRSS: ru.Maxrss * 1024} // Linux reports KiB
}
