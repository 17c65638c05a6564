//go:build !race

package imageserver

const raceEnabled = false
