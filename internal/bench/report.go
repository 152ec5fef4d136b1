package bench

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable writes r as a table for a person.
func (r Result) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "GetUpgradeStatus at %s: %d connections, %s per load, %d clusters, %d requests signed in %s\n",
		r.Endpoint, r.Concurrency, r.Duration, r.Clusters, r.Signed, r.SignTime.Round(time.Millisecond))
	fmt.Fprintf(w, "machine: %s, %s; %s\n\n", r.Machine, r.Date.Format(time.RFC3339), describeResponse(r.Response))
	var rows []Stats
	var bare []float64
	for _, rd := range r.Rounds {
		if rd.Bare != nil {
			rows, bare = append(rows, *rd.Bare), append(bare, rd.Bare.Throughput)
		}
		rows = append(rows, rd.Ackup)
		if rd.Bare != nil {
			bare = append(bare, rd.Bare.Throughput)
		} else {
			bare = append(bare, 0)
		}
	}
	if err := writeStats(w, rows, bare); err != nil {
		return err
	}
	if len(r.Rounds) > 1 && r.Bare != nil {
		_, err := fmt.Fprintf(w, "\nmedian round: ackup %.0f requests/s, %.0f%% of the bare handler's %.0f; p99 %s\n",
			r.Ackup.Throughput, 100*r.Ratio, r.Bare.Throughput, ms(r.Ackup.P99))
		return err
	}
	return nil
}

func describeResponse(resp Response) string {
	return fmt.Sprintf("each response %d bytes of body", len(resp.Body))
}

// String describes the machine in one line.
func (m Machine) String() string {
	s := fmt.Sprintf("%d CPUs", m.CPUs)
	if m.CPUModel != "" {
		s += " (" + m.CPUModel + ")"
	}
	if m.MemoryGiB > 0 {
		s += fmt.Sprintf(", %d GiB", m.MemoryGiB)
	}
	return s + ", " + m.GoVersion + " " + m.OS
}

// writeStats writes one row per load; bare[i] > 0 adds row i's ratio to
// that throughput.
func writeStats(w io.Writer, rows []Stats, bare []float64) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "load\trequests\treq/s\tvs bare\tp50\tp99\tp99.9\tmax\tnot 200\t")
	for i, s := range rows {
		ratio := "-"
		if bare[i] > 0 {
			ratio = fmt.Sprintf("%.0f%%", 100*s.Throughput/bare[i])
		}
		bad := s.Errors
		for code, n := range s.Status {
			if code != 200 {
				bad += n
			}
		}
		name := s.Name
		if s.Exhausted {
			name += " (ran out of signed requests)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, s.Requests, s.Throughput, ratio,
			ms(s.P50), ms(s.P99), ms(s.P999), ms(s.Max), notOK(bad, s.Status))
	}
	return tw.Flush()
}

func notOK(bad int, status map[int]int) string {
	if bad == 0 {
		return "0"
	}
	var codes []int
	for c := range status {
		if c != 200 {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	parts := make([]string, 0, len(codes))
	for _, c := range codes {
		parts = append(parts, strconv.Itoa(c)+"×"+strconv.Itoa(status[c]))
	}
	return strconv.Itoa(bad) + " (" + strings.Join(parts, " ") + ")"
}

// ms formats a latency in milliseconds with three decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/1e6) }

// WriteTable writes r as a table for a person.
func (r FleetResult) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "fleet: %d clusters × %d nodes at sim speed %g, every upgrade started at once\n", r.Clusters, r.Nodes, r.SimSpeed)
	fmt.Fprintf(w, "machine: %s, %s\n\n", r.Machine, r.Date.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "ideal simulated time\t%s\n", r.Ideal.Round(time.Millisecond))
	fmt.Fprintf(tw, "fleet took\t%s (%.2f× ideal; sending every UpgradeCluster took %s)\n",
		r.Elapsed.Round(time.Millisecond), r.Overhead, r.StartSpread.Round(time.Millisecond))
	fmt.Fprintf(tw, "upgrades\t%d succeeded, %d failed\n", r.Succeeded, r.Failed)
	fmt.Fprintf(tw, "engine passes (step transitions)\t%d, %.0f/s\n", r.Passes, r.PassesPerSec)
	fmt.Fprintf(tw, "peak memory\t%s resident (VmHWM, whole process), %s Go runtime; %d signed requests held\n",
		mib(r.PeakRSS), mib(r.PeakGoMemory), r.Signed)
	fmt.Fprintf(tw, "GetUpgradeStatus while it ran\tworst %.0f%% of bare, worst p99 %s\n\n", 100*r.WorstRatio, ms(r.WorstP99))
	if err := tw.Flush(); err != nil {
		return err
	}
	rows := append([]Stats{r.Bare, r.Idle}, r.Windows...)
	bare := make([]float64, len(rows))
	for i := range bare {
		bare[i] = r.Bare.Throughput
	}
	return writeStats(w, rows, bare)
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
