"""Creates the benchmark's database (bench/, make bench): runs the
migrations, then adds the user named by BENCH_USER with the password
BENCH_PASSWORD (hashed with the configured hasher, Django's default PBKDF2
unless DRF_FAST_HASHER is set). Prints the hasher's algorithm and
iterations."""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
django.setup()

from django.contrib.auth.hashers import get_hasher  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0, interactive=False)
User.objects.create_user(os.environ["BENCH_USER"], password=os.environ["BENCH_PASSWORD"])
h = get_hasher()
print(f"{h.algorithm} {getattr(h, 'iterations', 0)}")
