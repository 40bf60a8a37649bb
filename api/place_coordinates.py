"""Where each place of the bundled gazetteer (``ingest/data/gazetteer.json``) is: latitude and
longitude in degrees, for the dashboard's map. Cities are their centres; nations, regions and
countries a point near the middle of their land (a circle there stands for the whole area).
"""

from __future__ import annotations

COORDINATES: dict[str, tuple[float, float]] = {
    # The United Kingdom and Ireland
    "England": (52.6, -1.5), "Scotland": (56.8, -4.2), "Wales": (52.3, -3.7),
    "Northern Ireland": (54.65, -6.7), "United Kingdom": (54.0, -2.5),
    "London": (51.507, -0.128), "Manchester": (53.48, -2.242), "Birmingham": (52.486, -1.89),
    "Leeds": (53.8, -1.549), "Liverpool": (53.408, -2.979), "Glasgow": (55.864, -4.252),
    "Edinburgh": (55.953, -3.189), "Cardiff": (51.481, -3.179), "Swansea": (51.621, -3.944),
    "Newport": (51.588, -2.998), "Belfast": (54.597, -5.93), "Bristol": (51.455, -2.588),
    "Sheffield": (53.381, -1.47), "Newcastle": (54.978, -1.618), "Nottingham": (52.954, -1.158),
    "Leicester": (52.637, -1.14), "Coventry": (52.407, -1.51), "Bradford": (53.796, -1.759),
    "Hull": (53.745, -0.337), "Stoke-on-Trent": (53.003, -2.18), "Southampton": (50.91, -1.404),
    "Portsmouth": (50.819, -1.088), "Plymouth": (50.376, -4.143), "Brighton": (50.823, -0.137),
    "Reading": (51.455, -0.978), "Oxford": (51.752, -1.258), "Cambridge": (52.205, 0.122),
    "Norwich": (52.63, 1.297), "Exeter": (50.718, -3.534), "York": (53.96, -1.087),
    "Aberdeen": (57.15, -2.094), "Dundee": (56.462, -2.971), "Inverness": (57.478, -4.224),
    "Derby": (52.922, -1.476), "Milton Keynes": (52.041, -0.76), "Sunderland": (54.906, -1.381),
    "Wolverhampton": (52.587, -2.129), "Middlesbrough": (54.575, -1.235), "Derry": (54.997, -7.309),
    "Cornwall": (50.4, -4.9), "Yorkshire": (54.0, -1.5), "Kent": (51.2, 0.7), "Essex": (51.8, 0.6),
    "Devon": (50.75, -3.8), "Midlands": (52.6, -1.6), "North East England": (54.9, -1.9),
    "North West England": (54.0, -2.7), "South West England": (50.9, -3.5),
    "South East England": (51.3, -0.5), "East Anglia": (52.5, 1.0),
    "Ireland": (53.3, -8.0), "Dublin": (53.35, -6.26), "Cork": (51.898, -8.471),
    # The Americas
    "United States": (39.8, -98.6), "New York": (40.713, -74.006), "Los Angeles": (34.052, -118.244),
    "San Francisco": (37.775, -122.419), "Chicago": (41.878, -87.63), "Seattle": (47.606, -122.332),
    "Boston": (42.36, -71.059), "Washington DC": (38.907, -77.037), "Texas": (31.0, -99.0),
    "California": (37.2, -119.5), "Florida": (28.6, -82.4), "Miami": (25.762, -80.192),
    "Atlanta": (33.749, -84.388), "Dallas": (32.777, -96.797), "Houston": (29.76, -95.37),
    "Toronto": (43.653, -79.383), "Vancouver": (49.283, -123.121), "Montreal": (45.502, -73.567),
    "Canada": (56.0, -100.0), "Mexico City": (19.433, -99.133), "Mexico": (23.6, -102.5),
    "São Paulo": (-23.551, -46.633), "Rio de Janeiro": (-22.907, -43.173), "Brazil": (-10.3, -53.2),
    "Buenos Aires": (-34.604, -58.382),
    # Europe
    "Paris": (48.857, 2.352), "Lyon": (45.764, 4.836), "Marseille": (43.296, 5.37), "France": (46.6, 2.4),
    "Berlin": (52.52, 13.405), "Munich": (48.135, 11.582), "Hamburg": (53.551, 9.994),
    "Germany": (51.2, 10.4), "Madrid": (40.417, -3.704), "Barcelona": (41.385, 2.173),
    "Spain": (40.2, -3.6), "Lisbon": (38.722, -9.139), "Portugal": (39.6, -8.0), "Rome": (41.903, 12.496),
    "Milan": (45.464, 9.19), "Italy": (42.8, 12.6), "Amsterdam": (52.368, 4.904),
    "Netherlands": (52.2, 5.5), "Brussels": (50.85, 4.352), "Belgium": (50.6, 4.6),
    "Warsaw": (52.23, 21.012), "Kraków": (50.065, 19.945), "Poland": (52.0, 19.4),
    "Stockholm": (59.329, 18.069), "Sweden": (62.0, 15.0), "Oslo": (59.914, 10.752),
    "Copenhagen": (55.676, 12.568), "Vienna": (48.208, 16.373), "Zurich": (47.377, 8.541),
    "Switzerland": (46.8, 8.2), "Prague": (50.076, 14.438), "Athens": (37.984, 23.728),
    "Istanbul": (41.008, 28.978), "Moscow": (55.756, 37.617), "Kyiv": (50.45, 30.523),
    # Asia, Oceania and Africa
    "Dubai": (25.205, 55.271), "Mumbai": (19.076, 72.878), "Delhi": (28.704, 77.102),
    "Bangalore": (12.972, 77.595), "India": (22.0, 79.0), "Singapore": (1.352, 103.82),
    "Hong Kong": (22.32, 114.169), "Tokyo": (35.676, 139.65), "Japan": (36.2, 138.3),
    "Seoul": (37.567, 126.978), "Beijing": (39.904, 116.407), "Shanghai": (31.23, 121.474),
    "Sydney": (-33.869, 151.209), "Melbourne": (-37.814, 144.963), "Brisbane": (-27.47, 153.026),
    "Perth": (-31.951, 115.861), "Australia": (-25.3, 133.8), "Auckland": (-36.849, 174.763),
    "New Zealand": (-41.0, 174.0), "Johannesburg": (-26.204, 28.047), "Cape Town": (-33.925, 18.424),
    "Lagos": (6.524, 3.379), "Nairobi": (-1.292, 36.822), "Cairo": (30.044, 31.236),
}
