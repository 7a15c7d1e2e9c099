"""Package data, installed as ``srcrm.resources``: the default model and the samples.
Code finds this folder through :func:`srcrm.base.package_data.resource_dir`."""
