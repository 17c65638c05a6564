//go:build race

package testimg

// RaceEnabled reports whether the race detector is on. It slows the
// numeric tests down tenfold without checking anything concurrent in them,
// so they run their largest images only without it.
const RaceEnabled = true
