print("built copy")
