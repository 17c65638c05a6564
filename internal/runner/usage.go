package runner

// usage is this process's resource use so far.
type usage struct {
	user, sys float64 // CPU seconds
	maxRSS    int64   // bytes
}
