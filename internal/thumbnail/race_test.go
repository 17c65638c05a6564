//go:build race

package thumbnail

// raceEnabled skips the slowest numeric tests, which the race detector
// slows down tenfold without checking anything concurrent.
const raceEnabled = true
