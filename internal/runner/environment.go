package runner

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/results"
)

// Environment describes this machine and build for the results file.
func Environment(version, commit string) results.Environment {
	host, _ := os.Hostname()
	return results.Environment{
		ScalebenchVersion: version,
		GoVersion:         runtime.Version(),
		OS:                runtime.GOOS,
		Kernel:            kernel(),
		Arch:              runtime.GOARCH,
		CPUModel:          cpuModel(),
		LogicalCPUs:       runtime.NumCPU(),
		CPUQuota:          cpuQuota(),
		Hostname:          host,
		Commit:            commit,
		Started:           time.Now().UTC(),
	}
}

// AvailableCPUs is the number of CPUs this process may use: the logical
// CPUs, lowered by a cgroup CPU quota when one is set.
func AvailableCPUs() float64 {
	n := float64(runtime.NumCPU())
	if q := cpuQuota(); q > 0 && q < n {
		return q
	}
	return n
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// kernel is the kernel's release, read where Linux publishes it; empty
// elsewhere.
func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// cpuQuota reads the cgroup v2 (or v1) CPU limit in cores; 0 means none.
func cpuQuota() float64 {
	if b, err := os.ReadFile("/sys/fs/cgroup/cpu.max"); err == nil {
		f := strings.Fields(string(b))
		if len(f) == 2 && f[0] != "max" {
			q, err1 := strconv.ParseFloat(f[0], 64)
			p, err2 := strconv.ParseFloat(f[1], 64)
			if err1 == nil && err2 == nil && p > 0 {
				return q / p
			}
		}
		return 0
	}
	q, err1 := readFloat("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
	p, err2 := readFloat("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
	if err1 == nil && err2 == nil && q > 0 && p > 0 {
		return q / p
	}
	return 0
}

func readFloat(path string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
}
