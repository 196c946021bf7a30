package c2test

import (
	"bufio"
	"context"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// observationInterval is the spacing of CSV rows: one sample a minute,
	// a typical rate for a glider's science bay once averaged.
	observationInterval = time.Minute

	// csvBufferBytes is the write buffer of the CSV stream: big enough to
	// make few writes, small enough that a huge body is never held.
	csvBufferBytes = 32 << 10

	// cancelCheckRows is how often, in rows, the stream checks whether the
	// client has gone.
	cancelCheckRows = 1024
)

// csvStream describes one observations answer.
type csvStream struct {
	typ, serial string
	vars        []string
	rows        int // zero for a platform without data
	end         time.Time
}

// handleObservations serves GET
// /timeseries/observations/csv_combined_transposed: one or more variable
// parameters and the required platform_type and platform_serial. The answer
// is text/csv, one row per timestamp (oldest first) and one column per
// variable, streamed as it is generated.
func (s *Server) handleObservations(w http.ResponseWriter, r *http.Request) {
	perms, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	v := r.URL.Query()
	typ, serial, errs := platformParams(v)
	vars := v["variable"]
	if len(vars) == 0 {
		errs = append(errs, missing("query", "variable"))
	}
	if len(errs) > 0 {
		writeValidation(w, errs)
		return
	}
	if !perms.allows(typ, serial) {
		writeForbidden(w, typ, serial)
		return
	}
	cs := csvStream{typ: typ, serial: serial, vars: vars,
		end: s.now().UTC().Truncate(observationInterval)}
	if s.platforms[typ+"/"+serial] {
		cs.rows = s.rows
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	n := cs.writeTo(r.Context(), w)
	s.mu.Lock()
	s.stats.CSVBytes += n
	s.mu.Unlock()
}

// writeTo writes the CSV to w a buffer at a time, stopping early if ctx
// ends or a write fails (the client went away). It returns the bytes w
// accepted.
func (cs csvStream) writeTo(ctx context.Context, w io.Writer) int64 {
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, csvBufferBytes)
	waves := make([]wave, len(cs.vars))
	line := []byte("timestamp,platform_type,platform_serial")
	for i, name := range cs.vars {
		waves[i] = waveFor(name)
		line = append(append(line, ','), csvField(name)...)
	}
	bw.Write(append(line, '\n'))
	prefix := "," + csvField(cs.typ) + "," + csvField(cs.serial)
	start := cs.end.Add(-time.Duration(cs.rows-1) * observationInterval)
	for i := 0; i < cs.rows; i++ {
		if i%cancelCheckRows == 0 && ctx.Err() != nil {
			break
		}
		line = start.Add(time.Duration(i)*observationInterval).AppendFormat(line[:0], time.RFC3339)
		line = append(line, prefix...)
		for _, wv := range waves {
			line = strconv.AppendFloat(append(line, ','), wv.at(i), 'f', 4, 64)
		}
		if _, err := bw.Write(append(line, '\n')); err != nil {
			break
		}
	}
	bw.Flush()
	return cw.n
}

// wave is the deterministic signal of one variable: a mean, a swing and a
// period in samples.
type wave struct {
	mean, swing, period float64
}

func (w wave) at(i int) float64 {
	return w.mean + w.swing*math.Sin(2*math.Pi*float64(i)/w.period)
}

// waveFor returns a plausible signal for a CF standard name, and a
// made-up but stable one for any other name.
func waveFor(name string) wave {
	switch name {
	case "sea_water_temperature":
		return wave{mean: 12, swing: 3, period: 1440}
	case "sea_water_practical_salinity", "sea_water_salinity":
		return wave{mean: 35, swing: 0.4, period: 720}
	case "sea_water_pressure":
		return wave{mean: 100, swing: 95, period: 180}
	case "mass_concentration_of_chlorophyll_a_in_sea_water":
		return wave{mean: 0.8, swing: 0.5, period: 1440}
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	x := float64(h.Sum32() % 1000)
	return wave{mean: x, swing: 1 + x/100, period: 60 + x}
}

// csvField quotes s as RFC 4180 section 2 asks when it holds a comma,
// quote or line break.
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// countingWriter counts the bytes its writer accepts.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
