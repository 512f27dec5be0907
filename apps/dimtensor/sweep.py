"""dimtensor batch sweep: one task per completion index of an Indexed Job.

Task i computes the aerodynamic drag at the i-th velocity of the sweep in PARAMS_FILE and prints one JSON line.
"""
import json
import os
import sys


def main():
    raw = os.environ.get("JOB_COMPLETION_INDEX", "")
    if not raw.isdigit():
        # Without completionMode: Indexed the variable is empty; fail with the reason instead of int('').
        sys.exit(f"JOB_COMPLETION_INDEX is {raw!r}: run this as an Indexed Job")
    index = int(raw)
    with open(os.environ["PARAMS_FILE"], encoding="utf-8") as f:
        params = json.load(f)
    sweep = params["velocity_sweep"]
    if index >= sweep["steps"]:
        sys.exit(f"index {index} is outside the sweep of {sweep['steps']} steps")
    speed = sweep["start"] + index * (sweep["stop"] - sweep["start"]) / max(sweep["steps"] - 1, 1)

    from dimtensor import DimArray, units

    velocity = DimArray([speed], units.m / units.s)
    density = DimArray([params["air_density"]], units.kg / units.m**3)
    area = DimArray([params["reference_area"]], units.m**2)
    drag = 0.5 * params["drag_coefficient"] * density * velocity**2 * area
    print(json.dumps({"index": index, "velocity_m_s": speed, "drag": float(drag.data[0]), "unit": str(drag.unit)}))


if __name__ == "__main__":
    main()
