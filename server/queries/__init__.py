"""The only place SQL is built and run. Functions are named get_x_by_y / list_xs_for_y."""
