"""Bundle lifecycle beyond a first install: the apps an app depends on (``depends`` with a version
range) and uninstalling an app (``jimu uninstall``)."""
