package jwtapitest

// Film is one film of GET /films/v1/, with the seed's BaseFilm fields.
type Film struct {
	Director    string `json:"director"`
	EpisodeID   int    `json:"episode_id"`
	Producer    string `json:"producer"`
	ReleaseDate string `json:"release_date"`
	Title       string `json:"title"`
	URL         string `json:"url"`
}

// FilmList is the body of GET /films/v1/ (the seed's FilmListResponse).
type FilmList struct {
	Count   int    `json:"count"`
	Results []Film `json:"results"`
}

// films returns the six films of the Star Wars API, in its order; the film
// with id n (GET /films/v1/n) is films()[n-1]. Each call returns a new slice.
func films() []Film {
	return []Film{
		{"George Lucas", 4, "Gary Kurtz, Rick McCallum", "1977-05-25", "A New Hope", "https://swapi.dev/api/films/1/"},
		{"Irvin Kershner", 5, "Gary Kurtz, Rick McCallum", "1980-05-17", "The Empire Strikes Back", "https://swapi.dev/api/films/2/"},
		{"Richard Marquand", 6, "Howard G. Kazanjian, George Lucas, Rick McCallum", "1983-05-25", "Return of the Jedi", "https://swapi.dev/api/films/3/"},
		{"George Lucas", 1, "Rick McCallum", "1999-05-19", "The Phantom Menace", "https://swapi.dev/api/films/4/"},
		{"George Lucas", 2, "Rick McCallum", "2002-05-16", "Attack of the Clones", "https://swapi.dev/api/films/5/"},
		{"George Lucas", 3, "Rick McCallum", "2005-05-19", "Revenge of the Sith", "https://swapi.dev/api/films/6/"},
	}
}
