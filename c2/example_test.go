package c2_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
	"golang.org/x/oauth2"
)

// Keep a token alive and list the piloting drivers. The fake C2 stands in
// for https://api.c2.noc.ac.uk.
func Example() {
	fake := c2test.New(c2test.Options{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	token := fake.IssueToken() // as copied from /charon/tokens/issue

	ctx := context.Background()
	c, err := c2.Authenticate(ctx, srv.URL, token)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("original token still valid:", fake.Valid(token))

	drivers, err := c.Drivers.List(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range drivers {
		fmt.Println(d.ModuleName)
	}
	// Output:
	// original token still valid: false
	// simple
	// simple_no_upload
	// waypoint_queue
}

// A store keeps the lineage across restarts: the second run resumes from
// the token the first one rotated to, though it is given the original.
func ExampleWithStoreFile() {
	fake := c2test.New(c2test.Options{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	token := fake.IssueToken()
	dir, err := os.MkdirTemp("", "c2-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "c2-token.json")

	ctx := context.Background()
	for run := 1; run <= 2; run++ {
		c, err := c2.Authenticate(ctx, srv.URL, token, c2.WithStoreFile(file))
		if err != nil {
			log.Fatal(err)
		}
		_, err = c.Drivers.List(ctx)
		fmt.Printf("run %d: request error: %v; rotations so far: %d\n", run, err, fake.Stats().Rotations)
		c.Close()
	}
	// Output:
	// run 1: request error: <nil>; rotations so far: 1
	// run 2: request error: <nil>; rotations so far: 1
}

// Watch rotations happen, on an accelerated interval.
func ExampleWithOnRotate() {
	fake := c2test.New(c2test.Options{})
	srv := httptest.NewServer(fake)
	defer srv.Close()

	rotated := make(chan struct{}, 10)
	c, err := c2.New(context.Background(), srv.URL, fake.IssueToken(),
		c2.WithRefreshInterval(time.Second),
		c2.WithOnRotate(func(old, new *oauth2.Token) { rotated <- struct{}{} }))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for i := 1; i <= 2; i++ {
		<-rotated
		fmt.Println("rotation", i, "healthy:", c.Status().Healthy)
	}
	// Output:
	// rotation 1 healthy: true
	// rotation 2 healthy: true
}

// Read observations as CSV, a line at a time, without holding the whole
// answer.
func ExampleObservationsService_CSV() {
	fake := c2test.New(c2test.Options{ObservationRows: 3})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ctx := context.Background()
	c, err := c2.New(ctx, srv.URL, fake.IssueToken())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	body, err := c.Observations.CSV(ctx, c2.ObservationsQuery{
		Variables:    []string{"sea_water_temperature"},
		PlatformType: "slocum", PlatformSerial: "unit_398",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer body.Close()
	sc := bufio.NewScanner(body)
	rows := -1 // the header is not a row
	for sc.Scan() {
		if rows < 0 {
			fmt.Println(sc.Text())
		}
		rows++
	}
	fmt.Println("rows:", rows)
	// Output:
	// timestamp,platform_type,platform_serial,sea_water_temperature
	// rows: 3
}

// A platform the account may not see answers 403, which names the missing
// permission.
func ExamplePermissionError() {
	fake := c2test.New(c2test.Options{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ctx := context.Background()
	c, err := c2.New(ctx, srv.URL, fake.IssueToken("slocum/*"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.Positions.List(ctx, c2.PositionsQuery{PlatformType: "sailbuoy", PlatformSerial: "SB2016"})
	var perm *c2.PermissionError
	if errors.As(err, &perm) {
		fmt.Println(perm.Permission)
	}
	// Output:
	// Missing permission: view platform sailbuoy/SB2016
}

// A revoked token cannot be rotated: the error says so, and where to issue
// a new one.
func ExampleAuthenticate_revoked() {
	fake := c2test.New(c2test.Options{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	token := fake.IssueToken()
	fake.Revoke(token)

	_, err := c2.Authenticate(context.Background(), srv.URL, token)
	fmt.Println(errors.Is(err, c2.ErrTokenRejected))
	// Output:
	// true
}

// The notebooks' placeholder is refused before anything is sent.
func ExampleNew_placeholder() {
	_, err := c2.New(context.Background(), c2.ProductionAPIRoot, c2.Placeholder)
	fmt.Println(err)
	// Output:
	// c2: the token is still the notebooks' placeholder "<paste your token from charon here>": issue a token at https://api.c2.noc.ac.uk/charon/tokens/issue and paste it instead
}
