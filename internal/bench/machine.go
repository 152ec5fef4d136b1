package bench

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where a run was measured.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model,omitempty"`
	MemoryGiB int    `json:"memory_gib,omitempty"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
}

// ReadMachine reads the machine's facts (CPU model and memory from /proc on
// Linux; left empty elsewhere).
func ReadMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if kb := procField("/proc/meminfo", "MemTotal"); kb != "" {
		if n, err := strconv.ParseInt(strings.TrimSuffix(kb, " kB"), 10, 64); err == nil {
			m.MemoryGiB = int((n + 1<<19) >> 20)
		}
	}
	return m
}

// procField returns the value of the first "name: value" line of a /proc
// file, "" when there is none.
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// peakRSS returns the process's peak resident set size (VmHWM) in bytes, 0
// where /proc is not available.
func peakRSS() int64 {
	kb := procField("/proc/self/status", "VmHWM")
	n, err := strconv.ParseInt(strings.TrimSuffix(kb, " kB"), 10, 64)
	if err != nil {
		return 0
	}
	return n << 10
}
