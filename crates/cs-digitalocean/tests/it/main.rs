//! Integration tests of the DigitalOcean client against the stateful fake, over real HTTP.
