package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// String formats the rate as jobs per second, e.g. "100/s".
func (r Rate) String() string { return strconv.FormatFloat(float64(r), 'g', -1, 64) + "/s" }

// rateUnits maps the unit after "/" to its length in seconds.
var rateUnits = map[string]float64{
	"": 1, "s": 1, "sec": 1, "second": 1,
	"ms": 0.001,
	"m":  60, "min": 60, "minute": 60,
	"h": 3600, "hour": 3600,
}

// ParseRate parses "100", "100/s", "2.5/ms", "6000/min" or "60/h" into
// jobs per second. It does not check the sign.
func ParseRate(s string) (Rate, error) {
	num, unit, slash := strings.Cut(s, "/")
	unit = strings.TrimSpace(unit)
	per, ok := rateUnits[unit]
	if !ok || (slash && unit == "") {
		return 0, fmt.Errorf("unknown rate unit %q: want s, ms, min or h", unit)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("not a rate like 100 or \"100/s\": %q", s)
	}
	return Rate(v / per), nil
}
