//go:build !race

package thumbnail

const raceEnabled = false
