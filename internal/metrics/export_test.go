package metrics

import "github.com/scalebench/scalebench/internal/results"

type resultsHistogram = results.Histogram
