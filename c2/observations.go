package c2

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
)

// ObservationsService reads the time series platforms observe.
type ObservationsService service

// ObservationsQuery selects observations of one platform.
type ObservationsQuery struct {
	// Variables names the variables to read, as CF standard names such as
	// "sea_water_temperature". Required: at least one.
	Variables []string
	// PlatformType is the platform's type, such as "slocum". Required.
	PlatformType string
	// PlatformSerial is the platform's serial, such as "unit_398".
	// Required.
	PlatformSerial string
}

// values encodes q as the query of the CSV endpoint.
func (q ObservationsQuery) values() (url.Values, error) {
	if q.PlatformType == "" || q.PlatformSerial == "" {
		return nil, errors.New("c2: ObservationsQuery needs PlatformType and PlatformSerial")
	}
	if len(q.Variables) == 0 || slices.Contains(q.Variables, "") {
		return nil, errors.New("c2: ObservationsQuery needs at least one variable, and no empty one")
	}
	return url.Values{"variable": q.Variables, "platform_type": {q.PlatformType},
		"platform_serial": {q.PlatformSerial}}, nil
}

const observationsPath = "/timeseries/observations/csv_combined_transposed"

// CSV returns the observations q selects as CSV: a header line, then one
// row per timestamp with a column per variable. The body streams from the
// server as it is read, never held whole, so answers of any size are
// fine. The caller must close it, and keep ctx alive while reading.
//
// C2 API: GET /timeseries/observations/csv_combined_transposed?variable=&platform_type=&platform_serial=
func (s *ObservationsService) CSV(ctx context.Context, q ObservationsQuery) (io.ReadCloser, error) {
	v, err := q.values()
	if err != nil {
		return nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, observationsPath+"?"+v.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/csv")
	resp, err := s.client.Stream(req)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
