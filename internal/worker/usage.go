package worker

// Usage is this process's resource use so far.
type Usage struct {
	User, Sys float64 // CPU seconds
	MaxRSS    int64   // bytes, the peak resident set
}
