"""Knowledge-base articles and the public help centre."""
