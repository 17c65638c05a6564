package workload

// Optional hooks: interfaces a workload's options type may implement for
// the dimensions that need to know more of its jobs than the job itself.

// MemoryNeeder is implemented by options whose jobs can say, before the
// run, how much memory the largest of them needs at its peak, in bytes:
// the memory dimension gives each replica a budget that jobs reserve
// from, and a budget smaller than the largest job is refused before any
// process starts, naming both sizes.
type MemoryNeeder interface {
	JobMemory() (int64, error)
}

// Splitter is implemented by options whose job can divide its CPU work
// among several goroutines, each job finishing sooner while the work per
// job stays the same: the split dimension. MaxSplit is the most
// goroutines one job divides into (1: it does not divide).
type Splitter interface {
	MaxSplit() int
}

// JobMemory returns the most memory one job with options opts (a value or
// pointer of a workload's options type) needs, and whether its type
// declares it (MemoryNeeder).
func JobMemory(opts any) (int64, bool, error) {
	m, ok := opts.(MemoryNeeder)
	if !ok {
		return 0, false, nil
	}
	n, err := m.JobMemory()
	return n, true, err
}

// MaxSplit returns how many goroutines one job with options opts may
// divide into: 1 unless its type declares more (Splitter).
func MaxSplit(opts any) int {
	if s, ok := opts.(Splitter); ok {
		return max(s.MaxSplit(), 1)
	}
	return 1
}

// Reserver is implemented by an Instance that reserves each job's memory
// from Process.Memory itself, when and as much as that job needs (the
// thumbnail reserves an image's decode size as soon as its header
// arrives), adding its wait with Call.AddQueue. For an instance of a
// MemoryNeeder workload that does not, the harness reserves JobMemory
// before each job and counts the wait as the job's time in queue.
type Reserver interface {
	ReservesMemory() bool
}
