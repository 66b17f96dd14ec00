package memberfile_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fsdialer/dialer/dialer/memberfile"
)

// BenchmarkDecodeCSV decodes a 100,000-row file (two valid US numbers, a name
// and three variables per row) and reports rows per second.
func BenchmarkDecodeCSV(b *testing.B) {
	const rows = 100_000
	in := generateCSV(rows, 0, 0)
	m, err := memberfile.ParseMapping("numbers=phone1:mobile,phone2:home;name=name")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		st, err := memberfile.Decode(context.Background(), strings.NewReader(in), memberfile.CSV, m,
			memberfile.Options{DefaultRegion: "US"}, func([]memberfile.Member) error { return nil }, nil)
		if err != nil || st.Members != rows {
			b.Fatalf("Decode: %+v, %v", st, err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
