package compare

import (
	"testing"

	"github.com/scalebench/scalebench/internal/metric"
)

func TestPairCells(t *testing.T) {
	k := func(params ...string) Key {
		var key Key
		for i := 0; i < len(params); i += 2 {
			key.Params = append(key.Params, Param{params[i], params[i+1]})
		}
		return key
	}
	base := []CellSamples{
		{Key: k("workers", "1", "gomaxprocs", "1"), Samples: map[metric.Metric][]float64{metric.Throughput: {1, 2}, metric.P99: {3, 4}, metric.RSS: {5}}},
		{Key: k("workers", "2", "gomaxprocs", "1"), Samples: map[metric.Metric][]float64{metric.Throughput: {1}}},
	}
	head := []CellSamples{
		{Key: k("workers", "4", "gomaxprocs", "1"), Samples: map[metric.Metric][]float64{metric.Throughput: {1}}},
		{Key: k("gomaxprocs", "1", "workers", "1"), Samples: map[metric.Metric][]float64{metric.P99: {6, 7}, metric.Throughput: {8, 9}}, Repeats: 2},
	}
	in := PairCells(base, head)
	if len(in.Pairs) != 2 || in.Pairs[0].Metric != metric.Throughput || in.Pairs[1].Metric != metric.P99 || in.Pairs[1].Head[0] != 6 || in.Pairs[1].Base[0] != 3 || in.Pairs[0].HeadRepeats != 2 {
		t.Errorf("pairs %+v", in.Pairs)
	}
	if len(in.Unpaired) != 2 || in.Unpaired[0].Side != "base" || in.Unpaired[0].Key.Params[0].Value != "2" || in.Unpaired[1].Side != "head" || in.Unpaired[1].Key.Params[0].Value != "4" {
		t.Errorf("unpaired %+v", in.Unpaired)
	}
	s := head[1].Summarize()
	if s.Values[metric.Throughput] != 8.5 || s.Values[metric.P99] != 6.5 || len(s.Values) != 2 {
		t.Errorf("summary %+v", s)
	}
}
