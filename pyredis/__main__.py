"""python -m pyredis: the same as the pyredis-server console script."""
from .cli import main

main()
